import type { Tensor } from "onnxruntime-node";

/** Tensor datatypes of the Open Inference Protocol (V2) that this server can feed to onnxruntime. */
export type V2Datatype =
  | "BOOL"
  | "UINT8"
  | "UINT16"
  | "UINT32"
  | "UINT64"
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "FP16"
  | "FP32"
  | "FP64"
  | "BYTES";

const ORT_TO_V2: Partial<Record<Tensor.Type, V2Datatype>> = {
  bool: "BOOL",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  float16: "FP16",
  float32: "FP32",
  float64: "FP64",
  string: "BYTES",
};

const V2_TO_ORT: Record<V2Datatype, Tensor.Type> = {
  BOOL: "bool",
  UINT8: "uint8",
  UINT16: "uint16",
  UINT32: "uint32",
  UINT64: "uint64",
  INT8: "int8",
  INT16: "int16",
  INT32: "int32",
  INT64: "int64",
  FP16: "float16",
  FP32: "float32",
  FP64: "float64",
  BYTES: "string",
};

/** The V2 name of an onnxruntime tensor type, or undefined for types V2 has no name for (int4, ...). */
export function v2DatatypeOf(type: Tensor.Type): V2Datatype | undefined {
  return ORT_TO_V2[type];
}

/** The onnxruntime tensor type for a V2 datatype. */
export function ortTypeOf(datatype: V2Datatype): Tensor.Type {
  return V2_TO_ORT[datatype];
}

/** The V2 datatype names, for the per-input check on the request path (a Set beats `Object.hasOwn`). */
const V2_NAMES: ReadonlySet<string> = new Set(Object.keys(V2_TO_ORT));

/** Whether `s` names a V2 datatype. */
export function isV2Datatype(s: string): s is V2Datatype {
  return V2_NAMES.has(s);
}

/** Integer bounds for the fixed-width integer types JSON numbers can carry exactly. */
export const INTEGER_RANGE: Partial<Record<V2Datatype, readonly [number, number]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 4_294_967_295],
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-2_147_483_648, 2_147_483_647],
};
