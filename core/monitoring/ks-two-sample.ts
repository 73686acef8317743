import type { TestResult } from "./chi-squared-test.ts";

/** Above this many lattice cells (reference rows × current rows) the p-value is asymptotic. */
export const KS_EXACT_MAX_CELLS = 10_000_000;

export type KsResult = TestResult & { method: "exact" | "asymptotic" };

/**
 * Two-sample Kolmogorov–Smirnov test, two-sided. D = max |F_ref − F_cur| over every value (ties
 * handled by evaluating both empirical CDFs at each distinct value). The p-value is exact —
 * P(D ≥ d) under H0, from the share of monotone lattice paths from (0, 0) to (m, n) that leave
 * the band |i/m − j/n| < d — while m · n ≤ KS_EXACT_MAX_CELLS, and otherwise the limiting
 * Kolmogorov distribution Q_KS(√(mn/(m+n)) · d). Like every two-sample KS p-value it assumes
 * continuous data; with ties it is conservative.
 */
export function ksTwoSample(reference: readonly number[], current: readonly number[]): KsResult {
  const a = Float64Array.from(reference).sort();
  const b = Float64Array.from(current).sort();
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) return { statistic: 0, pValue: 1, method: "exact" };
  const scaled = maxScaledGap(a, b);
  const statistic = scaled / (m * n);
  if (m * n <= KS_EXACT_MAX_CELLS) {
    return { statistic, pValue: clamp01(1 - probabilityInside(m, n, scaled)), method: "exact" };
  }
  const en = (m * n) / (m + n);
  return { statistic, pValue: kolmogorovSurvival(Math.sqrt(en) * statistic), method: "asymptotic" };
}

/** max over values x of |n · #{a ≤ x} − m · #{b ≤ x}|: D · m · n, an integer, so the band test below is exact. */
function maxScaledGap(a: Float64Array, b: Float64Array): number {
  const m = a.length;
  const n = b.length;
  let i = 0;
  let j = 0;
  let best = 0;
  while (i < m || j < n) {
    const x = j >= n || (i < m && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < m && a[i] === x) i++;
    while (j < n && b[j] === x) j++;
    best = Math.max(best, Math.abs(i * n - j * m));
  }
  return best;
}

/**
 * P(every point (i, j) of a uniformly random path has |i·n − j·m| < scaled). A random path is
 * drawn step by step without replacement: from (i, j) it goes to i + 1 with probability
 * (m − i) / (m + n − i − j). Probabilities stay in [0, 1], so nothing overflows.
 */
function probabilityInside(m: number, n: number, scaled: number): number {
  if (scaled === 0) return 0;
  let row = new Float64Array(n + 1);
  let next = new Float64Array(n + 1);
  row[0] = 1;
  for (let j = 1; j <= n; j++) {
    row[j] = Math.abs(j * m) < scaled ? row[j - 1]! * ((n - j + 1) / (m + n - j + 1)) : 0;
  }
  for (let i = 1; i <= m; i++) {
    for (let j = 0; j <= n; j++) {
      if (Math.abs(i * n - j * m) >= scaled) {
        next[j] = 0;
        continue;
      }
      const left = m + n - i - j + 1;
      const fromBelow = row[j]! * ((m - i + 1) / left);
      const fromLeft = j > 0 ? next[j - 1]! * ((n - j + 1) / left) : 0;
      next[j] = fromBelow + fromLeft;
    }
    [row, next] = [next, row];
  }
  return row[n]!;
}

/** Q_KS(λ) = 2 Σ (−1)^{k−1} e^{−2k²λ²}; for small λ the equivalent theta-function form converges faster. */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 1) {
    let s = 0;
    const c = (Math.PI * Math.PI) / (8 * lambda * lambda);
    for (let k = 1; k <= 50; k++) s += Math.exp(-((2 * k - 1) ** 2) * c);
    return clamp01(1 - (Math.sqrt(2 * Math.PI) / lambda) * s);
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    s += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return clamp01(2 * s);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
