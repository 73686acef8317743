import type { Row } from "../../adapters/data-sources/data-source.ts";
import {
  applyPreprocessor,
  encodeTargets,
  rowsToColumns,
  type FittedPreprocessor,
} from "../../core/features/preprocessor.ts";
import { scaleTargets } from "../../core/features/target-transform.ts";
import type { Tf } from "./select-backend.ts";
import { targetsTensor } from "./targets-tensor.ts";

type Tensor = ReturnType<Tf["tensor"]>;

/** Model inputs and training targets of a batch of rows, as the in-memory path builds them. */
export function batchTensors(
  tf: Tf,
  p: FittedPreprocessor,
  features: readonly string[],
  rows: readonly Row[],
): { x: Tensor; y: Tensor; yRaw: Float32Array } {
  const x = applyPreprocessor(p, rowsToColumns(rows, features), rows.length);
  return encodedTensors(tf, p, x, encodeTargets(p, rows));
}

/** The same from inputs already encoded (row-major) and raw targets. */
export function encodedTensors(
  tf: Tf,
  p: FittedPreprocessor,
  x: Float32Array,
  yRaw: Float32Array,
): { x: Tensor; y: Tensor; yRaw: Float32Array } {
  const n = yRaw.length;
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
