/**
 * First Wasserstein (earth mover's) distance between two samples' empirical distributions:
 * ∫ |F_a(x) − F_b(x)| dx, integrated exactly over the gaps between their sorted values.
 */
export function wassersteinDistance(a: readonly number[], b: readonly number[]): number {
  const xs = Float64Array.from(a).sort();
  const ys = Float64Array.from(b).sort();
  const m = xs.length;
  const n = ys.length;
  if (m === 0 || n === 0) return NaN;
  let i = 0;
  let j = 0;
  let prev = Math.min(xs[0]!, ys[0]!);
  let total = 0;
  while (i < m || j < n) {
    const x = j >= n || (i < m && xs[i]! <= ys[j]!) ? xs[i]! : ys[j]!;
    total += Math.abs(i / m - j / n) * (x - prev);
    while (i < m && xs[i] === x) i++;
    while (j < n && ys[j] === x) j++;
    prev = x;
  }
  return total;
}

/** Below this reference standard deviation the normed distance divides by it instead (Evidently's floor). */
export const WASSERSTEIN_MIN_STD = 0.001;

/** Wasserstein distance divided by the reference's population standard deviation (at least 0.001). */
export function normedWassersteinDistance(opts: {
  reference: readonly number[];
  current: readonly number[];
  referenceStd: number;
}): number {
  return wassersteinDistance(opts.reference, opts.current) / Math.max(opts.referenceStd, WASSERSTEIN_MIN_STD);
}
