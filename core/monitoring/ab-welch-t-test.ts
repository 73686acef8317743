import { studentTwoSidedP } from "./ab-distributions.ts";

/** Mean and sample variance (n − 1) of one variant's values, e.g. absolute errors. */
export type MeanSample = { n: number; mean: number; variance: number };

export type WelchResult = {
  /** Candidate's mean minus stable's. */
  difference: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  pValue: number;
};

/**
 * Welch's two-sided t-test for two means with unequal variances. Fewer than two values on a
 * side, or no variance on either, is no evidence: t = 0, p = 1.
 */
export function welchTTest(stable: MeanSample, candidate: MeanSample): WelchResult {
  const difference = candidate.mean - stable.mean;
  if (stable.n < 2 || candidate.n < 2) return { difference, t: 0, df: 0, pValue: 1 };
  const a = stable.variance / stable.n;
  const b = candidate.variance / candidate.n;
  if (a + b === 0) return { difference, t: 0, df: stable.n + candidate.n - 2, pValue: 1 };
  const t = difference / Math.sqrt(a + b);
  const df = (a + b) ** 2 / (a ** 2 / (stable.n - 1) + b ** 2 / (candidate.n - 1));
  return { difference, t, df, pValue: studentTwoSidedP(t, df) };
}

/** Mean and sample variance of values (Welford's online form, stable for large sums). */
export function meanSample(values: readonly number[]): MeanSample {
  let mean = 0;
  let m2 = 0;
  let n = 0;
  for (const x of values) {
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  return { n, mean, variance: n > 1 ? m2 / (n - 1) : 0 };
}
