import type ort from "onnxruntime-node";
import { decodeBinaryTensor } from "./binary-tensor.ts";
import { badRequest, ServeError } from "./serve-error.ts";
import { isV2Datatype, type V2Datatype } from "./v2-datatype.ts";

/**
 * One input tensor of a V2 infer request, with `data` flattened row-major. `typed` is set when the
 * tensor came as binary data: already decoded and checked, ready for onnxruntime.
 */
export type RequestInput = {
  name: string;
  datatype: V2Datatype;
  shape: number[];
  data: ArrayLike<unknown>;
  typed?: ort.Tensor.DataType;
};

/** An output the request asks for, and whether it wants it as binary data. */
export type RequestedOutput = { name: string; binary: boolean | undefined };

/** A validated V2 infer request (`POST .../infer` body). */
export type InferRequest = {
  id: string | undefined;
  inputs: RequestInput[];
  /** The outputs to return; undefined means all. */
  outputs: RequestedOutput[] | undefined;
  /** Whether outputs not saying otherwise go back as binary data (`parameters.binary_data_output`). */
  binaryOutputs: boolean;
};

const MAX_NESTING = 32;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function flattenInto(data: readonly unknown[], out: unknown[], depth: number, where: string): void {
  if (depth > MAX_NESTING)
    throw badRequest("data-too-deep", `${where}: data is nested more than ${MAX_NESTING} levels deep`);
  for (const v of data) {
    if (Array.isArray(v)) flattenInto(v, out, depth + 1, where);
    else out.push(v);
  }
}

/** Whether an input of this name was parsed already (requests name a few inputs: no Set per request). */
function isDuplicate(parsed: readonly RequestInput[], name: string): boolean {
  for (const p of parsed) if (p.name === name) return true;
  return false;
}

function parseShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape))
    throw badRequest("shape-invalid", `${where}: shape must be an array of non-negative integers`);
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw badRequest(
        "shape-invalid",
        `${where}: shape ${JSON.stringify(shape)} must hold non-negative integers only`,
      );
    }
  }
  return shape as number[];
}

/**
 * The number of elements a shape holds. A product that is not a safe integer (dimensions such as
 * 2^53-1 multiplied together, even when a later dimension is 0) is a 400 naming the input, found
 * before anything is allocated.
 */
function elementCount(dims: readonly number[], where: string): number {
  let count = 1;
  for (const d of dims) {
    count *= d;
    if (!Number.isSafeInteger(count)) {
      throw badRequest(
        "shape-invalid",
        `${where}: shape ${JSON.stringify(dims)} holds more elements than can be counted; send a smaller shape`,
      );
    }
  }
  return count;
}

/**
 * Validates the envelope of a V2 infer request: ids, names, datatypes, shapes, and that each
 * input's element count (checked against `maxElements` before any data is touched) matches its data.
 * Values themselves are checked when they are converted for the model.
 */
export function parseInferRequest(body: unknown, maxElements: number, binary?: Uint8Array): InferRequest {
  if (!isRecord(body))
    throw badRequest("body-not-object", "request body must be a JSON object with an 'inputs' array");
  const { id, inputs, outputs, parameters } = body;
  let binaryAt = 0;
  if (id !== undefined && typeof id !== "string") throw badRequest("id-invalid", "'id' must be a string");
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw badRequest("inputs-missing", "'inputs' must be a non-empty array of {name, shape, datatype, data}");
  }
  let total = 0;
  const parsed: RequestInput[] = [];
  let seen: Set<string> | undefined;
  for (let i = 0; i < inputs.length; i++) {
    const input: unknown = inputs[i];
    if (!isRecord(input))
      throw badRequest("input-invalid", `inputs[${i}] must be an object {name, shape, datatype, data}`);
    const { name, datatype, shape, data } = input;
    if (typeof name !== "string" || name === "")
      throw badRequest("input-name-invalid", `inputs[${i}].name must be a non-empty string`);
    const where = `input '${name}'`;
    // A scan of the few names before; a Set once there are many, so a huge request stays linear.
    if (parsed.length >= 16) seen ??= new Set(parsed.map((p) => p.name));
    if (seen ? seen.has(name) : isDuplicate(parsed, name))
      throw badRequest("input-duplicate", `${where} is given more than once`);
    seen?.add(name);
    if (typeof datatype !== "string" || !isV2Datatype(datatype)) {
      throw badRequest(
        "datatype-unknown",
        `${where}: datatype ${JSON.stringify(datatype)} is not a V2 datatype (BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES)`,
      );
    }
    const dims = parseShape(shape, where);
    const count = elementCount(dims, where);
    total += count;
    if (total > maxElements) {
      throw new ServeError(
        413,
        "too-many-elements",
        `${where}: the request holds more than ${maxElements} tensor elements`,
      );
    }
    const binarySize = isRecord(input.parameters) ? input.parameters.binary_data_size : undefined;
    if (binarySize !== undefined) {
      if (typeof binarySize !== "number" || !Number.isSafeInteger(binarySize) || binarySize < 0) {
        throw badRequest(
          "binary-data-invalid",
          `${where}: parameters.binary_data_size must be a non-negative integer`,
        );
      }
      if (binary === undefined || binaryAt + binarySize > binary.byteLength) {
        throw badRequest(
          "binary-data-invalid",
          `${where}: binary_data_size is ${binarySize} but the body has ${binary === undefined ? "no" : binary.byteLength - binaryAt} bytes of binary data left (send the JSON length in the Inference-Header-Content-Length header)`,
        );
      }
      const typed = decodeBinaryTensor(
        datatype,
        binary.subarray(binaryAt, binaryAt + binarySize),
        count,
        where,
      );
      binaryAt += binarySize;
      parsed.push({ name, datatype, shape: dims, data: typed, typed });
      continue;
    }
    if (!Array.isArray(data)) throw badRequest("data-invalid", `${where}: data must be an array`);
    let flat: unknown[] = data;
    if (data.length > 0 && (Array.isArray(data[0]) || data.length !== count)) {
      flat = [];
      flattenInto(data, flat, 0, where);
    }
    if (flat.length !== count) {
      throw badRequest(
        "shape-data-mismatch",
        `${where}: shape ${JSON.stringify(dims)} holds ${count} elements but data has ${flat.length}`,
      );
    }
    parsed.push({ name, datatype, shape: dims, data: flat });
  }
  if (binary !== undefined && binaryAt !== binary.byteLength) {
    throw badRequest(
      "binary-data-invalid",
      `the body has ${binary.byteLength - binaryAt} bytes of binary data that no input claims`,
    );
  }
  const binaryOutputs = isRecord(parameters) && parameters.binary_data_output === true;
  return { id, inputs: parsed, outputs: parseRequestedOutputs(outputs), binaryOutputs };
}

function parseRequestedOutputs(outputs: unknown): RequestedOutput[] | undefined {
  if (outputs === undefined) return undefined;
  if (!Array.isArray(outputs)) throw badRequest("outputs-invalid", "'outputs' must be an array of {name}");
  return outputs.map((o: unknown, i) => {
    if (!isRecord(o) || typeof o.name !== "string")
      throw badRequest("outputs-invalid", `outputs[${i}] must be an object {name}`);
    const flag = isRecord(o.parameters) ? o.parameters.binary_data : undefined;
    return { name: o.name, binary: typeof flag === "boolean" ? flag : undefined };
  });
}
