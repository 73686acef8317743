import type { PredictionRecord, TrafficKind, Variant } from "../../core/monitoring/prediction-record.ts";
import type { RequestInput } from "./parse-infer-request.ts";
import type { ReturnedOutput } from "./served-model.ts";

/**
 * What the request path hands the prediction log: references only (the parsed inputs and views of
 * the returned outputs), so nothing is copied or encoded before the answer is sent.
 */
export type PendingPrediction = {
  /** Epoch milliseconds when the answer was sent. */
  at: number;
  id: string;
  model: string;
  version: string;
  variant: Variant;
  traffic: TrafficKind;
  latencyMs: number;
  status: number;
  /** Size of the request body in bytes. */
  bodyBytes: number;
  inputs?: readonly RequestInput[];
  outputs?: readonly ReturnedOutput[];
};

type Scalar = number | string | boolean | null;
type Row = Record<string, unknown>;

/** A value as the record holds it: bigints as numbers (JSON has no bigint), BOOL bytes as booleans. */
function scalar(v: unknown, bool: boolean): Scalar {
  if (typeof v === "number") return bool ? v !== 0 : v;
  if (typeof v === "string" || typeof v === "boolean" || v === null) return v;
  if (typeof v === "bigint") return Number(v);
  return null;
}

function rowCount(inputs: readonly RequestInput[]): number {
  const first = inputs[0];
  if (first === undefined) return 0;
  return first.shape.length === 0 ? 1 : first.shape[0]!;
}

function linesUp(length: number, first: number | undefined, rows: number): boolean {
  return rows > 0 && length >= rows && length % rows === 0 && (first === undefined || first === rows);
}

/**
 * The request's rows as objects: one key per input when it holds one value per row (raw features,
 * as a model with preprocess.json takes them), else `name[j]` for each value of the row. Inputs
 * whose rows do not line up with the first input's are left out.
 */
export function inputRows(inputs: readonly RequestInput[]): Row[] {
  const rows = rowCount(inputs);
  const out: Row[] = Array.from({ length: rows }, () => ({}));
  for (const input of inputs) {
    const { data, name } = input;
    if (!linesUp(data.length, input.shape.length === 0 ? undefined : input.shape[0], rows)) continue;
    const width = data.length / rows;
    const bool = input.datatype === "BOOL";
    const keys = width === 1 ? [name] : Array.from({ length: width }, (_, j) => `${name}[${j}]`);
    for (let r = 0; r < rows; r++) {
      const row = out[r]!;
      for (let j = 0; j < width; j++) row[keys[j]!] = scalar(data[r * width + j], bool);
    }
  }
  return out;
}

/** The answer's rows: each output's values of that row (a scalar when the output has one per row). */
export function outputRows(outputs: readonly ReturnedOutput[], rows: number): Row[] {
  const out: Row[] = Array.from({ length: rows }, () => ({}));
  for (const o of outputs) {
    const data = o.data as ArrayLike<unknown>;
    if (!linesUp(data.length, o.dims[0], rows)) continue;
    const width = data.length / rows;
    const bool = o.datatype === "BOOL";
    for (let r = 0; r < rows; r++) {
      if (width === 1) out[r]![o.name] = scalar(data[r], bool);
      else {
        const values = new Array<Scalar>(width);
        for (let j = 0; j < width; j++) values[j] = scalar(data[r * width + j], bool);
        out[r]![o.name] = values;
      }
    }
  }
  return out;
}

/**
 * One JSON line (a PredictionRecord) for a prediction. Bodies over `maxRecordBytes`, and records
 * that would come out larger than that, keep only `summary: {rows, bytes}`.
 */
export function formatPredictionRecord(
  p: PendingPrediction,
  maxRecordBytes: number,
): { line: string; summarised: boolean } {
  const base: PredictionRecord = {
    ts: new Date(p.at).toISOString(),
    id: p.id,
    model: p.model,
    version: p.version,
    variant: p.variant,
    traffic: p.traffic,
    latencyMs: Math.round(p.latencyMs * 1000) / 1000,
    status: p.status,
  };
  if (p.inputs === undefined) return { line: JSON.stringify(base), summarised: false };
  const rows = rowCount(p.inputs);
  const summary = () => ({
    line: JSON.stringify({ ...base, summary: { rows, bytes: p.bodyBytes } }),
    summarised: true,
  });
  if (p.bodyBytes > maxRecordBytes) return summary();
  // JSON.stringify writes NaN and ±Infinity as null, as the V2 answer does.
  const line = JSON.stringify({
    ...base,
    inputs: inputRows(p.inputs),
    ...(p.outputs === undefined ? {} : { outputs: outputRows(p.outputs, rows) }),
  });
  return line.length > maxRecordBytes ? summary() : { line, summarised: false };
}
