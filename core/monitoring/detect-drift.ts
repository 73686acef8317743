import { compareColumn, type ColumnDrift } from "./compare-column.ts";
import { DRIFT_DEFAULTS } from "./drift-defaults.ts";
import type { ReferenceProfile } from "./reference-profile.ts";

export type DriftOptions = {
  /** Fewer current rows than this is "not enough data" (default 100). */
  minRows?: number;
  /** Share of drifted features at or above which the dataset drifted (default 0.5). */
  datasetShare?: number;
  /** Compare every column with the population stability index instead of the default tests. */
  psi?: boolean;
};

/** The outcome of comparing current data with a reference profile. */
export type DriftReport = {
  status: "drift" | "no-drift" | "not-enough-data";
  drift: boolean;
  /** Share of features that drifted (the prediction is not counted). */
  share: number;
  rows: { reference: number; current: number };
  minRows: number;
  datasetShare: number;
  features: ColumnDrift[];
  /** The model's answers compared with its answers on the validation rows; null when either side has none. */
  prediction: ColumnDrift | null;
};

/** Compares current feature rows (and the model's answers to them) with the reference profile. */
export function detectDrift(opts: {
  profile: ReferenceProfile;
  rows: ReadonlyArray<Record<string, unknown>>;
  predictions?: readonly unknown[];
  options?: DriftOptions;
}): DriftReport {
  const { profile, rows } = opts;
  const minRows = opts.options?.minRows ?? DRIFT_DEFAULTS.minRows;
  const datasetShare = opts.options?.datasetShare ?? DRIFT_DEFAULTS.datasetShare;
  const psi = opts.options?.psi === true;
  const head = { rows: { reference: profile.rows, current: rows.length }, minRows, datasetShare };
  if (rows.length < minRows || rows.length === 0) {
    return { status: "not-enough-data", drift: false, share: 0, ...head, features: [], prediction: null };
  }
  const features = profile.features.map((f) =>
    compareColumn({ name: f.name, profile: f, values: rows.map((r) => r[f.name] ?? null), psi }),
  );
  const drifted = features.filter((f) => f.drifted).length;
  const share = features.length > 0 ? drifted / features.length : 0;
  const drift = features.length > 0 && share >= datasetShare;
  const answers = opts.predictions ?? [];
  const prediction =
    profile.prediction && answers.length >= minRows
      ? compareColumn({ name: profile.prediction.name, profile: profile.prediction, values: answers, psi })
      : null;
  return { status: drift ? "drift" : "no-drift", drift, share, ...head, features, prediction };
}
