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
  data: Array<number | string | boolean>;
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
