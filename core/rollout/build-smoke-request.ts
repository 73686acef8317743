import { z } from "zod";

/** The part of a V2 model metadata response (`GET /v2/models/{name}`) a smoke request needs. */
export const ModelMetadataSchema = z.object({
  name: z.string(),
  inputs: z
    .array(
      z.object({
        name: z.string().min(1),
        datatype: z.string().min(1),
        shape: z.array(z.number().int()),
        parameters: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .min(1),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;

export type InferInput = {
  name: string;
  datatype: string;
  shape: number[];
  data: Array<number | string | boolean | null>;
};
export type InferRequest = { id: string; inputs: InferInput[] };

const NUMERIC = new Set([
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
]);

/**
 * A valid one-row infer request for a model: dynamic dimensions become 1, numbers are zeros,
 * booleans false, strings the first category the metadata lists (`parameters.categories`) or "".
 */
export function buildSmokeRequest(
  metadata: unknown,
  id = "modelship-smoke",
): { ok: true; request: InferRequest } | { ok: false; message: string } {
  const parsed = ModelMetadataSchema.safeParse(metadata);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      message: `model metadata is not a V2 metadata response: ${issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "invalid"}`,
    };
  }
  const inputs: InferInput[] = [];
  for (const input of parsed.data.inputs) {
    const shape = input.shape.map((d) => (d < 0 ? 1 : d));
    const count = shape.reduce((a, b) => a * b, 1);
    const dt = input.datatype.toUpperCase();
    let value: number | string | boolean;
    if (NUMERIC.has(dt)) value = 0;
    else if (dt === "BOOL") value = false;
    else if (dt === "BYTES") value = firstCategory(input.parameters) ?? "";
    else return { ok: false, message: `input ${input.name} has unknown datatype ${input.datatype}` };
    inputs.push({ name: input.name, datatype: dt, shape, data: new Array<typeof value>(count).fill(value) });
  }
  return { ok: true, request: { id, inputs } };
}

function firstCategory(parameters: Record<string, unknown> | undefined): string | undefined {
  const cats = parameters?.["categories"];
  if (Array.isArray(cats) && typeof cats[0] === "string") return cats[0];
  return undefined;
}

/** `reference-rows.json`, written beside model.onnx at training: real rows, one value (or array) per input name. */
export const ReferenceRowsSchema = z.object({
  rows: z.array(z.record(z.string(), z.unknown())).min(1),
});
export type ReferenceRows = z.infer<typeof ReferenceRowsSchema>;

type Scalar = number | string | boolean | null;

/**
 * One single-row infer request per reference row, shaped by the model's metadata: the first
 * dynamic dimension becomes 1 and the row's value for each input fills the rest (a scalar for
 * an input of shape [n], an array for [n, k]). Fails, naming the row and input, when a row does
 * not fit the model (a retrained model with other inputs: fall back to `buildSmokeRequest`).
 */
export function buildReferenceRequests(
  metadata: unknown,
  reference: ReferenceRows,
  id = "modelship-smoke",
): { ok: true; requests: InferRequest[] } | { ok: false; message: string } {
  const parsed = ModelMetadataSchema.safeParse(metadata);
  if (!parsed.success) return { ok: false, message: "model metadata is not a V2 metadata response" };
  const requests: InferRequest[] = [];
  for (const [r, row] of reference.rows.entries()) {
    const inputs: InferInput[] = [];
    for (const input of parsed.data.inputs) {
      const shape = input.shape.map((d) => (d < 0 ? 1 : d));
      const count = shape.reduce((a, b) => a * b, 1);
      const value = row[input.name];
      const data = (Array.isArray(value) ? value.flat(32) : [value]) as unknown[];
      if (data.length !== count || !data.every(isScalar)) {
        return {
          ok: false,
          message: `reference row ${r} has no ${count}-value ${input.datatype} entry for input '${input.name}'`,
        };
      }
      inputs.push({
        name: input.name,
        datatype: input.datatype.toUpperCase(),
        shape,
        data: data as Scalar[],
      });
    }
    requests.push({ id: `${id}-${r}`, inputs });
  }
  return { ok: true, requests };
}

function isScalar(v: unknown): v is Scalar {
  return v === null || ["number", "string", "boolean"].includes(typeof v);
}
