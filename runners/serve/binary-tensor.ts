import type ort from "onnxruntime-node";
import { badRequest } from "./serve-error.ts";
import type { V2Datatype } from "./v2-datatype.ts";

/**
 * Tensors in the body after the JSON, as the V2 binary tensor data extension (Triton, KServe
 * clients) sends them: little-endian, row-major, BOOL as one byte, BYTES as a 4-byte length then
 * the bytes. The host is little-endian (x86-64, arm64), so numeric bytes are copied as they are.
 */

type NumericArray = Exclude<ort.Tensor.DataType, string[]>;

const ELEMENT: Partial<Record<V2Datatype, new (n: number) => NumericArray>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes `count` elements of `datatype` from `bytes`; throws a 400 naming `where` when they do not fit. */
export function decodeBinaryTensor(
  datatype: V2Datatype,
  bytes: Uint8Array,
  count: number,
  where: string,
): ort.Tensor.DataType {
  if (datatype === "BYTES") return decodeStrings(bytes, count, where);
  const Ctor = ELEMENT[datatype];
  if (Ctor === undefined)
    throw badRequest(
      "datatype-unsupported",
      `${where}: ${datatype} tensors are not supported by this server yet`,
    );
  const out = new Ctor(count);
  if (out.byteLength !== bytes.byteLength) {
    throw badRequest(
      "binary-data-invalid",
      `${where}: binary_data_size is ${bytes.byteLength} bytes but ${count} ${datatype} elements take ${out.byteLength}`,
    );
  }
  // A fresh, aligned copy: the request buffer's offset need not suit the element size.
  new Uint8Array(out.buffer).set(bytes);
  if (datatype === "BOOL") {
    for (let i = 0; i < count; i++) {
      if (out[i] !== 0 && out[i] !== 1)
        throw badRequest(
          "data-invalid",
          `${where}: BOOL element ${i} is the byte ${String(out[i])}, expected 0 or 1`,
        );
    }
  }
  return out;
}

function decodeStrings(bytes: Uint8Array, count: number, where: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<string>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.byteLength)
      throw badRequest("binary-data-invalid", `${where}: binary data ends before BYTES element ${i}`);
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > bytes.byteLength)
      throw badRequest("binary-data-invalid", `${where}: BYTES element ${i} runs past the binary data`);
    try {
      out[i] = utf8.decode(bytes.subarray(at, at + length));
    } catch {
      throw badRequest("data-invalid", `${where}: BYTES element ${i} is not UTF-8 text`);
    }
    at += length;
  }
  if (at !== bytes.byteLength)
    throw badRequest(
      "binary-data-invalid",
      `${where}: ${bytes.byteLength - at} bytes left after ${count} BYTES elements`,
    );
  return out;
}

/** The bytes of an output tensor in the binary extension's layout. */
export function encodeBinaryTensor(data: ort.Tensor.DataType, datatype: V2Datatype): Buffer {
  if (datatype !== "BYTES") {
    const typed = data as NumericArray;
    return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  const parts: Buffer[] = [];
  for (const s of data as string[]) {
    const text = Buffer.from(s, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32LE(text.length);
    parts.push(length, text);
  }
  return Buffer.concat(parts);
}
