import type { Row } from "../../adapters/data-sources/data-source.ts";
import type { DataSourcesInput } from "../../adapters/data-sources/pull-data.ts";
import type { Config } from "../../core/config/schema.ts";
import { describeSource, locateRow, type DataSnapshot } from "../../core/data/data-snapshot.ts";
import { createReservoir } from "../../core/data/reservoir-sample.ts";
import { isValidationRow, mulberry32 } from "../../core/data/split.ts";
import { ModelshipError } from "../../core/errors.ts";
import { createPreprocessorFitter } from "../../core/features/fit-preprocessor-stream.ts";
import { categoryOf, type FittedPreprocessor } from "../../core/features/preprocessor.ts";
import { snapshotRecordData } from "./load-data.ts";
import { resolveFeatures } from "./resolve-features.ts";
import { readSnapshotBatches, streamSnapshot } from "./stream-snapshot.ts";
import type { RunRecord } from "../../core/run/run-record.ts";

/** What one streaming pass over the snapshot learned: the fitted transforms, counts and samples. */
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
  split: { validationSplit: number; seed: number };
};

/**
 * Materialises the snapshot (or reuses it), then in one pass over it decides each row's side of
 * the split, fits the transforms on the training rows and keeps seeded samples of both sides.
 * `mark` times the two steps (loadMs, preprocessMs) as the in-memory path names them.
 */
export async function openStreamingSet(opts: {
  config: Config;
  repoDir: string;
  env: Readonly<Record<string, string | undefined>>;
  mark: <T>(name: string, f: () => Promise<T>) => Promise<T>;
}): Promise<StreamingSet> {
  const { config } = opts;
  const data: DataSourcesInput = config.data;
  const snap = await opts.mark("loadMs", () =>
    streamSnapshot({ repoDir: opts.repoDir, data, env: opts.env }),
  );
  const features = resolveFeatures(config, { columns: snap.snapshot.columns.map((c) => c.name) });
  const split = { validationSplit: config.data.validationSplit, seed: config.data.seed };
  return opts.mark("preprocessMs", async () => {
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
    let validationRows = 0;
    for await (const { first, rows } of readSnapshotBatches(snap.dir)) {
      rows.forEach((row, j) => {
        const index = first + j;
        if (isValidationRow(index, split)) {
          validationRows++;
          valSample.add(row);
          return;
        }
        fitter.add(row, () => whereInSnapshot(snap.snapshot, index));
        trainSample.add(row);
        if (config.model.task === "classification") {
          const c = categoryOf(row[config.model.target]);
          classCounts.set(c, (classCounts.get(c) ?? 0) + 1);
        }
      });
    }
    const trainRows = fitter.rows();
    refuseEmptySide(trainRows, validationRows, split.validationSplit);
    const p = fitter.finish();
    return {
      ...snap,
      features,
      p,
      trainRows,
      validationRows,
      trainTargets: () => expandClassCounts(p.labels, classCounts),
      validationSample: valSample.items(),
      trainSample: trainSample.items(),
      recordData: snapshotRecordData(snap.snapshot),
      split,
    };
  });
}

/** "row 12 of data/penguins.csv": the source row, as errors of the in-memory path point at rows. */
function whereInSnapshot(snapshot: DataSnapshot, index: number): string {
  const at = locateRow(snapshot.parts, index);
  return at ? `row ${at.row} of ${describeSource(at.source)}` : `row ${index + 1} of the data snapshot`;
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
