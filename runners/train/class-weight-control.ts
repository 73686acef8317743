import type { TrainParams } from "../../core/config/schema.ts";
import { resolveClassWeights } from "../../core/training/class-weights.ts";
import { ModelshipError } from "../../core/errors.ts";

/** `train.params.classWeights` resolved against the training labels, as fitModel takes them. */
export function classWeightControl(
  params: TrainParams,
  task: "classification" | "regression",
  labels: readonly string[],
  targets: ArrayLike<number>,
): { classWeights?: number[] } {
  const weights = resolve(params, task, labels, targets);
  return weights ? { classWeights: weights } : {};
}

/** The resolved weights by label, for the run record. */
export function recordedClassWeights(
  params: TrainParams,
  task: "classification" | "regression",
  labels: readonly string[],
  targets: ArrayLike<number>,
): { classWeights?: Record<string, number> } {
  const weights = resolve(params, task, labels, targets);
  return weights ? { classWeights: Object.fromEntries(labels.map((l, i) => [l, weights[i]!])) } : {};
}

function resolve(
  params: TrainParams,
  task: "classification" | "regression",
  labels: readonly string[],
  targets: ArrayLike<number>,
): number[] | undefined {
  if (params.classWeights === undefined) return undefined;
  if (task !== "classification") {
    throw new ModelshipError({
      code: "class-weights-regression",
      message: "train.params.classWeights is set, but model.task is regression",
      hint: "Remove train.params.classWeights, or set model.task: classification.",
    });
  }
  const r = resolveClassWeights(params.classWeights, labels, targets);
  if (r.ok) return r.weights;
  throw new ModelshipError({
    code: r.reason,
    message: r.message,
    hint: "Name labels exactly as they appear in the target column, or use classWeights: balanced.",
  });
}
