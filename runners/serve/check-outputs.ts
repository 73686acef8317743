import type { OutputView } from "./batch-runner.ts";
import { ServeError } from "./serve-error.ts";
import type { TensorMetadata } from "./served-model.ts";

/** How far a row of probabilities may sum from 1 (float32 softmax sums are within 1e-6). */
export const PROBABILITY_SUM_TOLERANCE = 1e-3;

function invalid(code: string, message: string): ServeError {
  return new ServeError(500, code, `the model's output is invalid: ${message}`);
}

function shapeMatches(dims: readonly number[], spec: readonly number[]): boolean {
  if (spec.length === 0) return true;
  if (dims.length !== spec.length) return false;
  for (let i = 0; i < spec.length; i++) {
    const d = spec[i]!;
    if (d >= 0 && d !== dims[i]) return false;
  }
  return true;
}

function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) count *= d;
  return count;
}

/**
 * Checks a run's outputs before they are answered: each has the rank and fixed dimensions the
 * model declares and as many values as its dimensions say; floating-point values are finite; and
 * the outputs named in `probabilities` hold, per row, values in [0, 1] summing to 1 (a single
 * column is one probability). A model that breaks this answers 500 with a reason code, never 200.
 */
export function checkOutputs(
  outputs: Readonly<Record<string, OutputView>>,
  specs: ReadonlyMap<string, TensorMetadata>,
  probabilities: ReadonlySet<string>,
): void {
  for (const name in outputs) {
    const out = outputs[name]!;
    const spec = specs.get(name);
    const count = elementCount(out.dims);
    if ((spec !== undefined && !shapeMatches(out.dims, spec.shape)) || count !== out.data.length) {
      throw invalid(
        "output-shape",
        `'${name}' has shape [${out.dims.join(",")}] and ${out.data.length} values, but the model declares [${spec?.shape.join(",") ?? ""}] (-1 is any size)`,
      );
    }
    const data = out.data;
    if (!(data instanceof Float32Array || data instanceof Float64Array)) continue;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw invalid("output-non-finite", `'${name}' holds ${String(data[i])} at element ${i}`);
      }
    }
    if (probabilities.has(name)) checkProbabilities(name, out.dims, data);
  }
}

function checkProbabilities(name: string, dims: readonly number[], data: Float32Array | Float64Array): void {
  const width = dims.length >= 2 ? dims[dims.length - 1]! : 1;
  const tol = PROBABILITY_SUM_TOLERANCE;
  for (let r = 0; r * width < data.length; r++) {
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const p = data[r * width + j]!;
      if (p < -tol || p > 1 + tol) {
        throw invalid("output-not-probabilities", `'${name}' row ${r} holds ${p}, outside [0, 1]`);
      }
      sum += p;
    }
    if (width > 1 && Math.abs(sum - 1) > tol) {
      throw invalid(
        "output-not-probabilities",
        `'${name}' row ${r} sums to ${sum}, not 1 (tolerance ${tol})`,
      );
    }
  }
}

/** The outputs checked as probabilities: the trainer's classification output, `probabilities`. */
export function probabilityOutputNames(names: readonly string[]): ReadonlySet<string> {
  return new Set(names.filter((n) => n === "probabilities"));
}
