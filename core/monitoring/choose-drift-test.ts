import { DRIFT_DEFAULTS, type DriftTestName } from "./drift-defaults.ts";

/**
 * Evidently's default test for a column: with at most 1,000 reference rows, numeric columns with
 * more than 5 distinct values (reference and current together) get Kolmogorov–Smirnov, others
 * chi-squared, or the z-test for proportions when there are at most two values; with more
 * reference rows, numeric columns with more than 5 values get the normed Wasserstein distance and
 * others the Jensen–Shannon distance.
 */
export function chooseDriftTest(opts: {
  numeric: boolean;
  referenceRows: number;
  distinctValues: number;
}): DriftTestName {
  const continuous = opts.numeric && opts.distinctValues > DRIFT_DEFAULTS.fewValues;
  if (opts.referenceRows <= DRIFT_DEFAULTS.referenceRowsForTests) {
    if (continuous) return "ks";
    return opts.distinctValues > 2 ? "chisquare" : "z";
  }
  return continuous ? "wasserstein" : "jensenshannon";
}
