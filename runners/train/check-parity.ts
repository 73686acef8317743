import * as ort from "onnxruntime-node";

import { PARITY_DEFAULTS } from "../../core/config/schema.ts";
import { compareAllclose } from "./compare-allclose.ts";

/** The parity verdict stored in run.json; `worst` names the element nearest to (or past) its bound. */
export type Parity = {
  rows: number;
  rtol: number;
  atol: number;
  maxAbsDiff: number;
  maxRelDiff: number;
  mismatches: number;
  ok: boolean;
  worst?: {
    row: number;
    column: number;
    onnx: number | null;
    tfjs: number | null;
    absDiff: number | null;
    allowed: number;
  };
};

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

/**
 * Compares onnxruntime's outputs for `input` with the training framework's `expected`, element by
 * element: |onnx − tfjs| ≤ atol + rtol · |tfjs| (numpy allclose, NaN never equal).
 */
export async function checkParity(opts: {
  model: Uint8Array;
  input: Float32Array;
  rows: number;
  width: number;
  expected: ArrayLike<number>;
  rtol?: number;
  atol?: number;
}): Promise<Parity> {
  const rtol = opts.rtol ?? PARITY_DEFAULTS.rtol;
  const atol = opts.atol ?? PARITY_DEFAULTS.atol;
  const got = await runOnnx(opts.model, opts.input, opts.rows, opts.width);
  const outputWidth = opts.rows > 0 ? Math.max(1, Math.round(opts.expected.length / opts.rows)) : 1;
  const r = compareAllclose(got, opts.expected, { rtol, atol, width: outputWidth });
  const w = r.worst;
  return {
    rows: opts.rows,
    rtol,
    atol,
    maxAbsDiff: r.maxAbsDiff,
    maxRelDiff: r.maxRelDiff,
    mismatches: r.mismatches,
    ok: r.ok,
    ...(w
      ? {
          worst: {
            row: w.row,
            column: w.column,
            onnx: w.actual,
            tfjs: w.expected,
            absDiff: w.absDiff,
            allowed: w.allowed,
          },
        }
      : {}),
  };
}

/** One line for a failed parity check: the bound, how many elements broke it, the worst one. */
export function describeParityFailure(p: Parity): string {
  const bound = `|onnx − tfjs| ≤ ${p.atol} + ${p.rtol}·|tfjs|`;
  const w = p.worst;
  if (!w) return `ONNX outputs do not match TensorFlow.js in shape on ${p.rows} held-out rows`;
  const show = (x: number | null) => (x === null ? "NaN/Inf" : String(x));
  return `ONNX outputs differ from TensorFlow.js on ${p.mismatches} element(s) of ${p.rows} held-out rows (bound ${bound}); worst: validation row ${w.row + 1}, output ${w.column}: onnx ${show(w.onnx)}, tfjs ${show(w.tfjs)}, |diff| ${show(w.absDiff)} > allowed ${w.allowed}`;
}
