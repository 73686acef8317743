import type ort from "onnxruntime-node";
import type { V2Datatype } from "./v2-datatype.ts";

function numbersJson(data: ArrayLike<number>): string {
  const n = data.length;
  if (n === 0) return "[]";
  let s = "[";
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    // JSON has no NaN or Infinity; null is what JSON.stringify writes for them too.
    s += (i === 0 ? "" : ",") + (Number.isFinite(v) ? v : "null");
  }
  return s + "]";
}

function bigintsJson(data: BigInt64Array | BigUint64Array): string {
  // Exact decimal digits: a JSON number may be wider than a double, and clients that care can read it.
  return `[${data.join(",")}]`;
}

function boolsJson(data: Uint8Array): string {
  let s = "[";
  for (let i = 0; i < data.length; i++) s += (i === 0 ? "" : ",") + (data[i] ? "true" : "false");
  return s + "]";
}

/** The JSON text of a tensor's `data`, flat row-major. */
export function tensorDataJson(data: ort.Tensor.DataType, datatype: V2Datatype): string {
  if (datatype === "BYTES") return JSON.stringify(data);
  if (datatype === "BOOL") return boolsJson(data as Uint8Array);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return bigintsJson(data);
  return numbersJson(data as ArrayLike<number>);
}

/**
 * One V2 output tensor as JSON text: `{name, datatype, shape, data}` with `dataJson` already
 * encoded, or, for binary data, `{name, datatype, shape, parameters: {binary_data_size}}`.
 */
export function outputJson(
  name: string,
  datatype: V2Datatype,
  shape: readonly number[],
  dataJson: string | undefined,
  binarySize?: number,
): string {
  const head = `{"name":${JSON.stringify(name)},"datatype":"${datatype}","shape":[${shape.join(",")}]`;
  return dataJson === undefined
    ? `${head},"parameters":{"binary_data_size":${binarySize ?? 0}}}`
    : `${head},"data":${dataJson}}`;
}
