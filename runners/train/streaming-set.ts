import type { Row } from "../../adapters/data-sources/data-source.ts";
import { pullData, type PulledData } from "../../adapters/data-sources/pull-data.ts";
import { expectationsFailedError } from "../../adapters/data-validation/validate-data.ts";
import type { Config } from "../../core/config/schema.ts";
import type { DataSnapshot } from "../../core/data/data-snapshot.ts";
import { createSuiteAccumulator } from "../../core/data/expectations/run-expectation-suite.ts";
import type { ValidationReport } from "../../core/data/expectations/validation-report.ts";
import { createReservoir } from "../../core/data/reservoir-sample.ts";
import { isValidationRow, mulberry32 } from "../../core/data/split.ts";
import { ModelshipError, type SourceLocation } from "../../core/errors.ts";
import {
  createPreprocessorFitter,
  type PreprocessorFitter,
} from "../../core/features/fit-preprocessor-stream.ts";
import { categoryOf, type FittedPreprocessor } from "../../core/features/preprocessor.ts";
import type { RunRecord } from "../../core/run/run-record.ts";
import { encodeSplit, type EncodedSplit, type SplitRule } from "./encoded-split.ts";
import { snapshotRecordData } from "./load-data.ts";
import { resolveFeatures } from "./resolve-features.ts";
import { readSnapshotBatches } from "./stream-snapshot.ts";

/** What the pass over the snapshot learned: the fitted transforms, counts, samples, the encoded split. */
export type StreamingSet = {
  dir: string;
  snapshot: DataSnapshot;
  reused: boolean;
  features: string[];
  p: FittedPreprocessor;
  trainRows: number;
  validationRows: number;
  /** Training class indices in label order (classification), for balanced class weights: 4 bytes a row, made on demand. */
  trainTargets(): Uint32Array;
  /** Uniform samples (`data.streaming.sampleRows` each) of the validation and training rows. */
  validationSample: Row[];
  trainSample: Row[];
  recordData: RunRecord["data"];
  split: SplitRule;
  /** Both sides as model inputs on disk, what epochs read. */
  encoded: EncodedSplit;
  /** `data.expectations` on every row (undefined without a suite); a failed suite throws instead. */
  validation: ValidationReport | undefined;
};

/**
 * Reads the sources once into the snapshot without keeping the rows (or reuses it), then in one
 * pass over the snapshot runs `data.expectations` on every row, decides each row's side of the
 * split, fits the transforms on the training rows and keeps seeded samples of both sides; then
 * writes the encoded split. A failed suite throws before anything is fitted or written.
 * `mark` times the steps (loadMs, preprocessMs) as the in-memory path names them.
 */
export async function openStreamingSet(opts: {
  config: Config;
  repoDir: string;
  env: Readonly<Record<string, string | undefined>>;
  mark: <T>(name: string, f: () => Promise<T>) => Promise<T>;
  /** Where each expectation is in the config file, for the report. */
  locations?: readonly (SourceLocation | undefined)[];
}): Promise<StreamingSet> {
  const { config } = opts;
  const pulled = await opts.mark("loadMs", () =>
    pullData({ repoDir: opts.repoDir, data: config.data, env: opts.env, keepRows: false }),
  );
  const dir = pulled.snapshotDir!;
  const features = resolveFeatures(config, { columns: pulled.columns });
  const split = { validationSplit: config.data.validationSplit, seed: config.data.seed };
  return opts.mark("preprocessMs", async () => {
    const fitted = await fitPass(config, pulled, features, opts.locations);
    const encoded = await encodeSplit({ snapshotDir: dir, split, p: fitted.p, features });
    return {
      dir,
      snapshot: pulled.snapshot,
      reused: pulled.reused,
      features,
      ...fitted,
      recordData: snapshotRecordData(pulled.snapshot),
      split,
      encoded,
    };
  });
}

type Fitted = Pick<
  StreamingSet,
  "p" | "trainRows" | "validationRows" | "trainTargets" | "validationSample" | "trainSample" | "validation"
>;

/** The one pass: the suite sees every row, the fitter the training rows, the reservoirs both sides. */
async function fitPass(
  config: Config,
  pulled: PulledData,
  features: string[],
  locations: readonly (SourceLocation | undefined)[] | undefined,
): Promise<Fitted> {
  const split = { validationSplit: config.data.validationSplit, seed: config.data.seed };
  const suite =
    config.data.expectations.length > 0 ? createSuiteAccumulator(config.data.expectations) : undefined;
  const fitter = createPreprocessorFitter({
    features,
    target: config.model.target,
    task: config.model.task,
    transforms: config.data.transforms,
    targetStandardize: config.data.target.standardize,
  });
  const size = config.data.streaming.sampleRows;
  const valSample = createReservoir<Row>(size, mulberry32(config.data.seed ^ 0x5eed));
  const trainSample = createReservoir<Row>(size, mulberry32(config.data.seed ^ 0xa11));
  const classCounts = new Map<string, number>();
  const fit = guardedFit(fitter, suite !== undefined);
  let validationRows = 0;
  for await (const { first, rows } of readSnapshotBatches(pulled.snapshotDir!)) {
    rows.forEach((row, j) => {
      const index = first + j;
      suite?.add(row);
      if (isValidationRow(index, split)) {
        validationRows++;
        valSample.add(row);
        return;
      }
      fit.add(row, () => whereInSnapshot(pulled, index));
      trainSample.add(row);
      if (config.model.task === "classification") {
        const c = categoryOf(row[config.model.target]);
        classCounts.set(c, (classCounts.get(c) ?? 0) + 1);
      }
    });
  }
  const validation = suite?.finish((i) => pulled.origin(i), locations ? { locations } : {});
  if (validation && !validation.success) throw expectationsFailedError(validation);
  fit.rethrow();
  const trainRows = fitter.rows();
  refuseEmptySide(trainRows, validationRows, split.validationSplit);
  const p = fitter.finish();
  return {
    p,
    trainRows,
    validationRows,
    trainTargets: () => expandClassCounts(p.labels, classCounts),
    validationSample: valSample.items(),
    trainSample: trainSample.items(),
    validation,
  };
}

/**
 * The fitter, whose first error waits for the suite when there is one: data the suite rejects
 * is reported as the suite's failure, not as the first bad value the fit ran into.
 */
function guardedFit(fitter: PreprocessorFitter, deferErrors: boolean) {
  let error: { err: unknown } | undefined;
  return {
    add(row: Row, at: () => string) {
      if (error) return;
      try {
        fitter.add(row, at);
      } catch (err) {
        if (!deferErrors) throw err;
        error = { err };
      }
    },
    rethrow() {
      if (error) throw error.err;
    },
  };
}

/** "row 12 of data/penguins.csv": the source row, as errors of the in-memory path point at rows. */
function whereInSnapshot(pulled: PulledData, index: number): string {
  try {
    const at = pulled.origin(index);
    return `row ${at.row} of ${at.source}`;
  } catch {
    return `row ${index + 1} of the data snapshot`;
  }
}

function refuseEmptySide(trainRows: number, validationRows: number, validationSplit: number): void {
  if (trainRows > 0 && validationRows > 0) return;
  throw new ModelshipError({
    code: "data-too-small",
    message: `the streaming split put ${trainRows} rows in training and ${validationRows} in validation; each side needs at least one`,
    hint: `Add data, or move data.validationSplit (now ${validationSplit}) away from 0 and 1; small data sets train fine without data.streaming.`,
  });
}

/** Class indices in label order, as many of each as training rows had (for balanced weights). */
function expandClassCounts(labels: readonly string[], counts: ReadonlyMap<string, number>): Uint32Array {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const out = new Uint32Array(total);
  let at = 0;
  labels.forEach((label, k) => {
    const c = counts.get(label) ?? 0;
    out.fill(k, at, at + c);
    at += c;
  });
  return out;
}
