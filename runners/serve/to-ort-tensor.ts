import ort from "onnxruntime-node";
import type { RequestInput } from "./parse-infer-request.ts";
import { assertFinite } from "./check-finite.ts";
import { badRequest, type ServeError } from "./serve-error.ts";
import { INTEGER_RANGE, ortTypeOf, type V2Datatype } from "./v2-datatype.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

function badValue(input: RequestInput, i: number, expected: string): ServeError {
  return badRequest(
    "data-invalid",
    `input '${input.name}': data[${i}] is ${describe(input.data[i])}, expected ${expected} (${input.datatype})`,
  );
}

type FloatArray = Float32Array | Float64Array;
type IntArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

function fillFloat(input: RequestInput, out: FloatArray): FloatArray {
  const data = input.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number") throw badValue(input, i, "a number");
    out[i] = v;
  }
  return out;
}

function fillInt(input: RequestInput, out: IntArray, [lo, hi]: readonly [number, number]): IntArray {
  const data = input.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
      throw badValue(input, i, `an integer in [${lo}, ${hi}]`);
    }
    out[i] = v;
  }
  return out;
}

function fillBigInt(
  input: RequestInput,
  out: BigInt64Array | BigUint64Array,
  lo: bigint,
  hi: bigint,
): BigInt64Array | BigUint64Array {
  const data = input.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    let b: bigint | undefined;
    // Large 64-bit values lose precision as JSON numbers, so decimal strings are accepted too.
    if (typeof v === "number" && Number.isInteger(v)) b = BigInt(v);
    else if (typeof v === "string" && /^-?\d{1,20}$/.test(v)) b = BigInt(v);
    if (b === undefined || b < lo || b > hi) throw badValue(input, i, `an integer in [${lo}, ${hi}]`);
    out[i] = b;
  }
  return out;
}

function fillBool(input: RequestInput, out: Uint8Array): Uint8Array {
  const data = input.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v !== false && v !== 0) throw badValue(input, i, "true or false");
  }
  return out;
}

function fillStrings(input: RequestInput): string[] {
  const data = input.data;
  for (let i = 0; i < data.length; i++) if (typeof data[i] !== "string") throw badValue(input, i, "a string");
  return data as string[];
}

function typedData(input: RequestInput, datatype: V2Datatype): ort.Tensor.DataType {
  const n = input.data.length;
  switch (datatype) {
    case "FP32":
      return fillFloat(input, new Float32Array(n));
    case "FP64":
      return fillFloat(input, new Float64Array(n));
    case "FP16":
      // onnxruntime-node 1.30 fails to return float16 tensors when Float16Array exists (Node 24).
      throw badRequest(
        "datatype-unsupported",
        `input '${input.name}': FP16 tensors are not supported by this server yet`,
      );
    case "INT8":
      return fillInt(input, new Int8Array(n), INTEGER_RANGE.INT8!);
    case "INT16":
      return fillInt(input, new Int16Array(n), INTEGER_RANGE.INT16!);
    case "INT32":
      return fillInt(input, new Int32Array(n), INTEGER_RANGE.INT32!);
    case "UINT8":
      return fillInt(input, new Uint8Array(n), INTEGER_RANGE.UINT8!);
    case "UINT16":
      return fillInt(input, new Uint16Array(n), INTEGER_RANGE.UINT16!);
    case "UINT32":
      return fillInt(input, new Uint32Array(n), INTEGER_RANGE.UINT32!);
    case "INT64":
      return fillBigInt(input, new BigInt64Array(n), INT64_MIN, INT64_MAX);
    case "UINT64":
      return fillBigInt(input, new BigUint64Array(n), 0n, UINT64_MAX);
    case "BOOL":
      return fillBool(input, new Uint8Array(n));
    case "BYTES":
      return fillStrings(input);
  }
}

/** Converts one validated request input into an onnxruntime tensor, checking every value against its datatype (floats must be finite). */
export function toOrtTensor(input: RequestInput): ort.Tensor {
  const data = input.typed ?? typedData(input, input.datatype);
  if (data instanceof Float32Array || data instanceof Float64Array) {
    assertFinite(data, `input '${input.name}'`, input.typed === undefined ? input.data : undefined);
  }
  return new ort.Tensor(ortTypeOf(input.datatype), data, input.shape);
}
