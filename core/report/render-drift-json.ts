import { z } from "zod";
import type { ColumnDrift } from "../monitoring/compare-column.ts";
import type { DriftReport } from "../monitoring/detect-drift.ts";

/** One feature as `--json` prints it. */
export type FeatureDriftJson = {
  name: string;
  test: string;
  statistic: number | null;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
};

/** The `--json` document: drift, share, rows, features; then status and the prediction's comparison. */
export type DriftJson = {
  drift: boolean;
  share: number;
  rows: { reference: number; current: number };
  features: FeatureDriftJson[];
  status: DriftReport["status"];
  prediction: FeatureDriftJson | null;
};

const feature = (f: ColumnDrift): FeatureDriftJson => ({
  name: f.name,
  test: f.test,
  // JSON has no infinity: an infinite chi-squared statistic (a value the reference never had) is null.
  statistic: f.statistic !== null && Number.isFinite(f.statistic) ? f.statistic : null,
  pValue: f.pValue,
  threshold: f.threshold,
  drifted: f.drifted,
});

/** The drift report as its machine-readable document. */
export function driftJson(r: DriftReport): DriftJson {
  return {
    drift: r.drift,
    share: r.share,
    rows: r.rows,
    features: r.features.map(feature),
    status: r.status,
    prediction: r.prediction ? feature(r.prediction) : null,
  };
}

const FeatureDriftJsonSchema = z.object({
  name: z.string(),
  test: z.string(),
  statistic: z.number().nullable(),
  pValue: z.number().nullable(),
  threshold: z.number(),
  drifted: z.boolean(),
});

/** The `--json` document read back (from a drift workflow's artifact): checked before it is trusted. */
export const DriftJsonSchema = z.object({
  drift: z.boolean(),
  share: z.number().min(0).max(1),
  rows: z.object({ reference: z.number().int().nonnegative(), current: z.number().int().nonnegative() }),
  features: z.array(FeatureDriftJsonSchema),
  status: z.enum(["drift", "no-drift", "not-enough-data"]),
  prediction: FeatureDriftJsonSchema.nullable(),
});
