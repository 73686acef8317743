import type { Row } from "../../adapters/data-sources/data-source.ts";
import { pullData } from "../../adapters/data-sources/pull-data.ts";
import { expectationsFailedError } from "../../adapters/data-validation/validate-data.ts";
import type { Config } from "../../core/config/schema.ts";
import { createSuiteAccumulator } from "../../core/data/expectations/run-expectation-suite.ts";
import type { ValidationReport } from "../../core/data/expectations/validation-report.ts";
import { createReservoir } from "../../core/data/reservoir-sample.ts";
import { mulberry32 } from "../../core/data/split.ts";
import type { SourceLocation } from "../../core/errors.ts";
import { createReferenceProfile } from "../../core/monitoring/create-reference-profile.ts";
import type { ReferenceProfile } from "../../core/monitoring/reference-profile.ts";
import type { RunRecord } from "../../core/run/run-record.ts";
import { snapshotRecordData } from "./load-data.ts";
import { resolveFeatures } from "./resolve-features.ts";
import { readSnapshotBatches } from "./stream-snapshot.ts";

/** What a `train.command` run records of its data when it is streamed. */
export type CommandData = {
  recordData: RunRecord["data"];
  /** The drift reference, from a sample of the rows; none when the data lacks `model.target`. */
  referenceProfile: ReferenceProfile | undefined;
  /** `data.expectations` on every row (undefined without a suite); a failed suite throws instead. */
  validation: ValidationReport | undefined;
};

/**
 * Streaming with `train.command`: reads the sources once into the snapshot without keeping the
 * rows (or reuses it), then in one pass over the snapshot runs `data.expectations` on every row
 * and keeps a seeded sample of `data.streaming.sampleRows` rows for the drift profile. A failed
 * suite throws before anything is written or the command starts. Memory: the sample, one batch.
 */
export async function scanCommandData(opts: {
  config: Config;
  repoDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Where each expectation is in the config file, for the report. */
  locations?: readonly (SourceLocation | undefined)[];
}): Promise<CommandData> {
  const { config } = opts;
  const pulled = await pullData({ repoDir: opts.repoDir, data: config.data, env: opts.env, keepRows: false });
  // A program's data need not name model.target: then there is no profile, as in memory.
  const features = pulled.columns.includes(config.model.target)
    ? resolveFeatures(config, { columns: pulled.columns })
    : undefined;
  const suite =
    config.data.expectations.length > 0 ? createSuiteAccumulator(config.data.expectations) : undefined;
  const sample = createReservoir<Row>(config.data.streaming.sampleRows, mulberry32(config.data.seed ^ 0xa11));
  if (suite || features) {
    for await (const { rows } of readSnapshotBatches(pulled.snapshotDir!)) {
      for (const row of rows) {
        suite?.add(row);
        if (features) sample.add(row);
      }
    }
  }
  const locations = opts.locations;
  const validation = suite?.finish((i) => pulled.origin(i), locations ? { locations } : {});
  if (validation && !validation.success) throw expectationsFailedError(validation);
  return {
    recordData: snapshotRecordData(pulled.snapshot),
    referenceProfile: features
      ? createReferenceProfile({ model: config.model.name, rows: sample.items(), features })
      : undefined,
    validation,
  };
}
