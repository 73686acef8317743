import * as ort from "onnxruntime-node";

export type Parity = { rows: number; maxAbsDiff: number; tolerance: number; ok: boolean };

/** Default bound on |onnxruntime − tfjs| for any output value: float32 rounding, not model error. */
export const PARITY_TOLERANCE = 1e-4;

/** Runs an ONNX model with onnxruntime on row-major float32 rows and returns its first output. */
export async function runOnnx(
  model: Uint8Array,
  input: Float32Array,
  rows: number,
  width: number,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run({
      [session.inputNames[0] ?? "input"]: new ort.Tensor("float32", input, [rows, width]),
    });
    const first = out[session.outputNames[0] ?? ""];
    if (!first) throw new Error("ONNX model produced no output");
    return first.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Largest absolute difference; a NaN on either side counts as an infinite difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return Infinity;
    if (d > max) max = d;
  }
  return max;
}

/** Compares onnxruntime's outputs for `input` with the training framework's `expected`. */
export async function checkParity(opts: {
  model: Uint8Array;
  input: Float32Array;
  rows: number;
  width: number;
  expected: ArrayLike<number>;
  tolerance?: number;
}): Promise<Parity> {
  const tolerance = opts.tolerance ?? PARITY_TOLERANCE;
  const got = await runOnnx(opts.model, opts.input, opts.rows, opts.width);
  const diff = maxAbsDiff(got, opts.expected);
  return {
    rows: opts.rows,
    maxAbsDiff: Number.isFinite(diff) ? diff : Number.MAX_VALUE,
    tolerance,
    ok: diff <= tolerance,
  };
}
