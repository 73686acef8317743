import type { TrainParams } from "../config/schema.ts";

export type ClassWeightsResult =
  | { ok: true; weights: number[] | undefined }
  | { ok: false; reason: "class-weights-unknown-label"; message: string };

/**
 * Per-class weights in label order: `balanced` gives rows / (classes × rows of the class), as
 * scikit-learn's `compute_class_weight("balanced")`; a map names labels, the rest weigh 1.
 */
export function resolveClassWeights(
  spec: TrainParams["classWeights"],
  labels: readonly string[],
  targets: ArrayLike<number>,
): ClassWeightsResult {
  if (spec === undefined) return { ok: true, weights: undefined };
  if (spec === "balanced") {
    const counts = labels.map(() => 0);
    for (let i = 0; i < targets.length; i++) counts[targets[i]!]!++;
    const n = targets.length;
    // A class with no training rows cannot be weighed; 1 keeps its (unused) weight neutral.
    return { ok: true, weights: counts.map((c) => (c === 0 ? 1 : n / (labels.length * c))) };
  }
  const unknown = Object.keys(spec).filter((k) => !labels.includes(k));
  if (unknown.length > 0) {
    return {
      ok: false,
      reason: "class-weights-unknown-label",
      message: `train.params.classWeights names ${unknown.map((u) => `'${u}'`).join(", ")}, not labels of the training data (${labels.join(", ")})`,
    };
  }
  return { ok: true, weights: labels.map((l) => spec[l] ?? 1) };
}
