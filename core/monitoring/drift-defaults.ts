/** Tests a column can be compared with, by Evidently's names. */
export type DriftTestName = "ks" | "chisquare" | "z" | "wasserstein" | "jensenshannon" | "psi";

/**
 * The defaults of drift detection, Evidently's: p-value tests drift below 0.05 (KS at or below),
 * distances at or above 0.1; the dataset drifts when at least half of its features do; fewer
 * current rows than `minRows` is "not enough data"; `referenceRowsForTests` decides between
 * p-value tests and distances.
 */
export const DRIFT_DEFAULTS = {
  minRows: 100,
  datasetShare: 0.5,
  referenceRowsForTests: 1000,
  fewValues: 5,
  thresholds: { ks: 0.05, chisquare: 0.05, z: 0.05, wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1 },
} as const satisfies {
  minRows: number;
  datasetShare: number;
  referenceRowsForTests: number;
  fewValues: number;
  thresholds: Record<DriftTestName, number>;
};

/** Whether a test's statistic is a p-value (drift when small) or a distance (drift when large). */
export function isPValueTest(test: DriftTestName): boolean {
  return test === "ks" || test === "chisquare" || test === "z";
}

/** The verdict for one test result against its threshold. */
export function isDrifted(test: DriftTestName, value: number, threshold: number): boolean {
  if (test === "ks") return value <= threshold;
  if (isPValueTest(test)) return value < threshold;
  return value >= threshold;
}
