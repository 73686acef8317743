import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  occlusionAttributions,
  occlusionBatch,
  occlusionReference,
  type OcclusionReference,
} from "../../core/explain/occlusion.ts";
import { ReferenceProfileSchema } from "../../core/monitoring/reference-profile.ts";
import type { InferRequest } from "./parse-infer-request.ts";
import { ServeError } from "./serve-error.ts";
import type { ServedModel } from "./served-model.ts";

/** `POST /v2/models/{name}/explain`: one attribution per row and raw feature. */
export type ExplainAnswer = {
  method: "occlusion";
  /** What each feature was replaced by: the training mean (numeric) or most frequent value (categorical). */
  reference: OcclusionReference;
  /** Classification: the probability of the predicted class; regression: the prediction. */
  scored: "probability" | "prediction";
  explanations: Array<{ prediction: number | string; score: number; attributions: Record<string, number> }>;
};

const references = new Map<string, Promise<OcclusionReference | null>>();

/** The reference values beside the model (model/reference-profile.json), read once per file. */
function referenceFor(modelFile: string): Promise<OcclusionReference | null> {
  const file = join(dirname(modelFile), "reference-profile.json");
  let found = references.get(file);
  if (found === undefined) {
    found = readFile(file, "utf8").then(
      (text) => {
        const parsed = ReferenceProfileSchema.safeParse(JSON.parse(text));
        return parsed.success ? occlusionReference(parsed.data) : null;
      },
      () => null,
    );
    references.set(file, found);
  }
  return found;
}

/**
 * Occlusion attributions for the rows of an infer request with raw features: each feature in turn
 * is set to its reference value, and the drop of the model's score is that feature's attribution.
 * All `rows × (features + 1)` variants run as one batch.
 */
export async function explainRequest(opts: {
  model: ServedModel;
  modelFile: string;
  request: InferRequest;
  maxElements: number;
}): Promise<ExplainAnswer> {
  const reference = await referenceFor(opts.modelFile);
  if (reference === null) {
    throw new ServeError(
      409,
      "explain-reference-missing",
      "this model has no model/reference-profile.json to take reference values from; train it again with modelship",
    );
  }
  const inputs = opts.request.inputs;
  const missing = inputs.filter((i) => !(i.name in reference)).map((i) => `'${i.name}'`);
  if (inputs.length === 0 || missing.length > 0) {
    throw new ServeError(
      400,
      "explain-needs-raw-features",
      `explain takes one input per raw feature (${Object.keys(reference).join(", ")})${missing.length ? `; not features: ${missing.join(", ")}` : ""}`,
    );
  }
  const rows = inputs[0]!.shape[0] ?? 0;
  const features = inputs.map((i) => i.name);
  if (rows * (features.length + 1) * features.length > opts.maxElements) {
    throw new ServeError(
      413,
      "explain-too-large",
      `explaining ${rows} rows of ${features.length} features needs more than ${opts.maxElements} elements; send fewer rows`,
    );
  }
  const columns = Object.fromEntries(inputs.map((i) => [i.name, i.data]));
  const batch = occlusionBatch(columns, rows, features, reference);
  const total = rows * (features.length + 1);
  const answer = await opts.model.infer({
    id: undefined,
    outputs: undefined,
    binaryOutputs: false,
    inputs: inputs.map((i) => ({
      name: i.name,
      datatype: i.datatype,
      shape: [total, ...i.shape.slice(1)],
      data: batch[i.name]!,
    })),
  });
  const out =
    answer.values.find((v) => v.name === "probabilities" || v.name === "prediction") ?? answer.values[0]!;
  const width = out.dims.length > 1 ? Number(out.dims[1]) : 1;
  const data = out.data as ArrayLike<number>;
  const labels = answer.values.find((v) => v.name === "label")?.data as ArrayLike<string> | undefined;
  const classification = out.name === "probabilities" && width > 1;
  // Classification scores every variant by the probability of the class predicted for the original row.
  const chosen = Array.from({ length: rows }, (_, r) => (classification ? argmax(data, r, width) : 0));
  const scores = Array.from({ length: total }, (_, k) => Number(data[k * width + chosen[k % rows]!]));
  const attributions = occlusionAttributions(scores, rows, features);
  return {
    method: "occlusion",
    reference: Object.fromEntries(features.map((f) => [f, reference[f]!])),
    scored: classification ? "probability" : "prediction",
    explanations: attributions.map((a, r) => ({
      prediction: classification ? (labels?.[r] ?? chosen[r]!) : scores[r]!,
      score: scores[r]!,
      attributions: a,
    })),
  };
}

function argmax(data: ArrayLike<number>, row: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (data[row * width + k]! > data[row * width + best]!) best = k;
  return best;
}
