import type { Tf } from "./select-backend.ts";

/** Targets as the model trains on them: one-hot classes, or a column of numbers. */
export function targetsTensor(tf: Tf, y: Float32Array, classification: boolean, classes: number) {
  if (!classification) return tf.tensor2d(y, [y.length, 1]);
  return tf.oneHot(tf.tensor1d(Int32Array.from(y), "int32"), classes).toFloat();
}
