import type { Tf } from "./select-backend.ts";

/** Targets as the model trains on them: one-hot classes, or a column of numbers. */
export function targetsTensor(tf: Tf, y: Float32Array, classification: boolean, classes: number) {
  if (!classification) return tf.tensor2d(y, [y.length, 1]);
  return tf.oneHot(tf.tensor1d(Int32Array.from(y), "int32"), classes).toFloat();
}

/** The same targets as row-major values: [rows, classes] one-hot, or [rows, 1]. */
export function targetRows(
  y: Float32Array,
  classification: boolean,
  classes: number,
): { y: Float32Array; yWidth: number } {
  if (!classification) return { y, yWidth: 1 };
  const out = new Float32Array(y.length * classes);
  for (let i = 0; i < y.length; i++) {
    // As tf.oneHot reads its int32 indices: a row out of range stays all zeros.
    const k = y[i]! | 0;
    if (k >= 0 && k < classes) out[i * classes + k] = 1;
  }
  return { y: out, yWidth: classes };
}
