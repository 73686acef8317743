import type { Row } from "../../adapters/data-sources/data-source.ts";
import { isValidationRow } from "../../core/data/split.ts";
import {
  applyPreprocessor,
  encodeTargets,
  rowsToColumns,
  type FittedPreprocessor,
} from "../../core/features/preprocessor.ts";
import { scaleTargets } from "../../core/features/target-transform.ts";
import type { Tf } from "./select-backend.ts";
import { readSnapshotBatches } from "./stream-snapshot.ts";
import { targetsTensor } from "./targets-tensor.ts";

type Tensor = ReturnType<Tf["tensor"]>;

export type SplitRule = { validationSplit: number; seed: number };

/** The rows of one side of the streaming split, in snapshot order, one snapshot batch at a time. */
export async function* splitRows(
  dir: string,
  split: SplitRule,
  side: "train" | "validation",
): AsyncGenerator<Row[]> {
  const want = side === "validation";
  for await (const { first, rows } of readSnapshotBatches(dir)) {
    const kept = rows.filter((_, j) => isValidationRow(first + j, split) === want);
    if (kept.length > 0) yield kept;
  }
}

/** Regroups a stream of row arrays into arrays of exactly `size` rows (the last one shorter). */
export async function* rebatch(items: AsyncIterable<Row[]>, size: number): AsyncGenerator<Row[]> {
  let batch: Row[] = [];
  for await (const rows of items) {
    for (const row of rows) {
      batch.push(row);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** Model inputs and training targets of a batch of rows, as the in-memory path builds them. */
export function batchTensors(
  tf: Tf,
  p: FittedPreprocessor,
  features: readonly string[],
  rows: readonly Row[],
): { x: Tensor; y: Tensor; yRaw: Float32Array } {
  const n = rows.length;
  const x = applyPreprocessor(p, rowsToColumns(rows, features), n);
  const yRaw = encodeTargets(p, rows);
  const classification = p.task === "classification";
  const y = scaleTargets(p.targetTransform, yRaw);
  const tensors = tf.tidy(() => ({
    x: tf.tensor2d(x, [n, p.outputWidth]),
    y: targetsTensor(tf, y, classification, classification ? p.labels.length : 1),
  }));
  return { ...tensors, yRaw };
}

/** A typed array that grows by doubling, for per-row results of a stream. */
export function growable<A extends Float32Array | Float64Array>(make: (n: number) => A) {
  let data = make(1024);
  let length = 0;
  return {
    push(values: ArrayLike<number>) {
      if (length + values.length > data.length) {
        const bigger = make(Math.max(data.length * 2, length + values.length));
        bigger.set(data.subarray(0, length));
        data = bigger;
      }
      data.set(values, length);
      length += values.length;
    },
    values: (): A => data.subarray(0, length) as A,
  };
}
