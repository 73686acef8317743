import type { RawPredictionRecord } from "../../core/monitoring/prediction-record.ts";

type Scalar = number | string | boolean | null;
type Row = Record<string, unknown>;

/** One tensor of a logged V2 request or answer, flat row-major. */
type LoggedTensor = { name: string; datatype: string; shape: number[]; data: ArrayLike<unknown> };

/** Rows fed to the model and the answers to them, as drift compares them. */
export type PredictionRows = { inputs: Row[]; outputs: Row[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A value as a row holds it: bigints as numbers, BOOL as booleans, anything else not scalar as null. */
function scalar(v: unknown, bool: boolean): Scalar {
  // JSON has no NaN or Infinity: the first format wrote them as null, so these rows do too.
  if (typeof v === "number") return bool ? v !== 0 : Number.isFinite(v) ? v : null;
  if (typeof v === "string" || typeof v === "boolean" || v === null) return v;
  if (typeof v === "bigint") return Number(v);
  return null;
}

const ELEMENT: Record<string, { bytes: number; read: (view: DataView, at: number) => unknown }> = {
  BOOL: { bytes: 1, read: (v, at) => v.getUint8(at) },
  UINT8: { bytes: 1, read: (v, at) => v.getUint8(at) },
  INT8: { bytes: 1, read: (v, at) => v.getInt8(at) },
  UINT16: { bytes: 2, read: (v, at) => v.getUint16(at, true) },
  INT16: { bytes: 2, read: (v, at) => v.getInt16(at, true) },
  UINT32: { bytes: 4, read: (v, at) => v.getUint32(at, true) },
  INT32: { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  UINT64: { bytes: 8, read: (v, at) => v.getBigUint64(at, true) },
  INT64: { bytes: 8, read: (v, at) => v.getBigInt64(at, true) },
  FP32: { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  FP64: { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
};

/** Values of a tensor sent as binary data (the V2 binary extension's layout); undefined when they do not fit. */
function decodeBinary(datatype: string, bytes: Buffer): unknown[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: unknown[] = [];
  if (datatype === "BYTES") {
    for (let at = 0; at < bytes.byteLength;) {
      if (at + 4 > bytes.byteLength) return undefined;
      const length = view.getUint32(at, true);
      if (at + 4 + length > bytes.byteLength) return undefined;
      out.push(bytes.toString("utf8", at + 4, at + 4 + length));
      at += 4 + length;
    }
    return out;
  }
  const element = ELEMENT[datatype];
  if (element === undefined || bytes.byteLength % element.bytes !== 0) return undefined;
  for (let at = 0; at < bytes.byteLength; at += element.bytes) out.push(element.read(view, at));
  return out;
}

function flatten(data: readonly unknown[]): unknown[] {
  return data.some(Array.isArray) ? (data.flat(Infinity as 1) as unknown[]) : (data as unknown[]);
}

/**
 * The tensors of a V2 body's `inputs` or `outputs` array, taking the binary data (in order, by each
 * tensor's `parameters.binary_data_size`) from `binary`. Tensors that cannot be read are left out.
 */
function loggedTensors(list: unknown, binary: Buffer | undefined): LoggedTensor[] {
  if (!Array.isArray(list)) return [];
  const out: LoggedTensor[] = [];
  let at = 0;
  for (const t of list) {
    if (!isRecord(t) || typeof t.name !== "string" || typeof t.datatype !== "string") continue;
    const shape = Array.isArray(t.shape) && t.shape.every((d) => typeof d === "number") ? t.shape : undefined;
    const size = isRecord(t.parameters) ? t.parameters.binary_data_size : undefined;
    let data: unknown[] | undefined;
    if (typeof size === "number") {
      data = binary && decodeBinary(t.datatype, binary.subarray(at, at + size));
      at += size;
    } else if (Array.isArray(t.data)) data = flatten(t.data);
    if (shape !== undefined && data !== undefined)
      out.push({ name: t.name, datatype: t.datatype, shape: shape as number[], data });
  }
  return out;
}

function linesUp(length: number, first: number | undefined, rows: number): boolean {
  return rows > 0 && length >= rows && length % rows === 0 && (first === undefined || first === rows);
}

function rowCount(tensors: readonly LoggedTensor[]): number {
  const first = tensors[0];
  if (first === undefined) return 0;
  return first.shape.length === 0 ? 1 : first.shape[0]!;
}

/**
 * The request's rows as objects: one key per input when it holds one value per row (raw features,
 * as a model with preprocess.json takes them), else `name[j]` for each value of the row. Inputs
 * whose rows do not line up with the first input's are left out.
 */
function inputRows(inputs: readonly LoggedTensor[], rows: number): Row[] {
  const out: Row[] = Array.from({ length: rows }, () => ({}));
  for (const { data, name, shape, datatype } of inputs) {
    if (!linesUp(data.length, shape.length === 0 ? undefined : shape[0], rows)) continue;
    const width = data.length / rows;
    const bool = datatype === "BOOL";
    const keys = width === 1 ? [name] : Array.from({ length: width }, (_, j) => `${name}[${j}]`);
    for (let r = 0; r < rows; r++) {
      const row = out[r]!;
      for (let j = 0; j < width; j++) row[keys[j]!] = scalar(data[r * width + j], bool);
    }
  }
  return out;
}

/** The answer's rows: each output's values of that row (a scalar when the output has one per row). */
function outputRows(outputs: readonly LoggedTensor[], rows: number): Row[] {
  const out: Row[] = Array.from({ length: rows }, () => ({}));
  for (const { data, name, shape, datatype } of outputs) {
    if (!linesUp(data.length, shape[0], rows)) continue;
    const width = data.length / rows;
    const bool = datatype === "BOOL";
    for (let r = 0; r < rows; r++) {
      if (width === 1) out[r]![name] = scalar(data[r], bool);
      else out[r]![name] = Array.from({ length: width }, (_, j) => scalar(data[r * width + j], bool));
    }
  }
  return out;
}

function fromBase64(text: string | undefined): Buffer | undefined {
  return text === undefined ? undefined : Buffer.from(text, "base64");
}

/**
 * The feature rows and answers of a record in the raw format (the V2 request and answer as they
 * were sent), in the shape records of the first format held them; undefined when it logged no request.
 */
export function predictionRows(record: RawPredictionRecord): PredictionRows | undefined {
  if (!isRecord(record.request)) return undefined;
  const inputs = loggedTensors(record.request.inputs, fromBase64(record.requestBinary));
  const rows = rowCount(inputs);
  const outputs = isRecord(record.response)
    ? loggedTensors(record.response.outputs, fromBase64(record.responseBinary))
    : [];
  return { inputs: inputRows(inputs, rows), outputs: outputRows(outputs, rows) };
}
