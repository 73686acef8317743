import { z } from "zod";
import type { Transform } from "../config/schema.ts";
import { ModelshipError } from "../errors.ts";

export const TargetTransformSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("standardize"), mean: z.number(), std: z.number().positive() }).strict(),
  z.object({ op: z.literal("minmax"), min: z.number(), range: z.number().positive() }).strict(),
]);
/** A regression target's scaling, fitted on the training rows: the model learns `(y − offset) / scale`. */
export type TargetTransform = z.infer<typeof TargetTransformSchema>;

export type TargetTransformRequest = {
  task: "classification" | "regression";
  target: string;
  /** `data.target.standardize`; undefined means the default (on for regression). */
  standardize: boolean | undefined;
  /** `data.transforms` entries that name the target column. */
  transforms: readonly Transform[];
};

/**
 * Which scaling the target gets. Regression targets are standardized unless the config says
 * `data.target.standardize: false` or names `minmax` on the target; classification targets never are.
 */
export function resolveTargetOp(req: TargetTransformRequest): TargetTransform["op"] | undefined {
  const [first, second] = req.transforms;
  const where = `data.transforms names the target '${req.target}'`;
  if (req.task === "classification") {
    if (first || req.standardize) {
      throw new ModelshipError({
        code: "target-transform-invalid",
        message: `${first ? where : "data.target.standardize is true"}, but a classification target is a class, not a number`,
        hint: "Remove the target transform, or use model.task: regression.",
      });
    }
    return undefined;
  }
  if (second) {
    throw new ModelshipError({
      code: "transform-conflict",
      message: `${where} more than once ('${first!.op}' and '${second.op}')`,
      hint: "Give the target at most one scaling: standardize or minmax.",
    });
  }
  if (first && first.op !== "standardize" && first.op !== "minmax") {
    throw new ModelshipError({
      code: "target-transform-invalid",
      message: `${where} with '${first.op}'; a target can only be scaled (standardize or minmax)`,
      hint: "Drop rows without a target instead of imputing it, and use model.task: classification for categories.",
    });
  }
  if (first && req.standardize === false) {
    throw new ModelshipError({
      code: "transform-conflict",
      message: `${where} with '${first.op}', but data.target.standardize is false`,
      hint: "Keep one of the two: remove the transform on the target, or remove data.target.standardize: false.",
    });
  }
  if (first) return first.op;
  return req.standardize === false ? undefined : "standardize";
}

/** Fits the scaling on training targets; a constant target keeps scale 1 so nothing divides by zero. */
export function fitTargetTransform(values: readonly number[], op: TargetTransform["op"]): TargetTransform {
  if (op === "standardize") {
    const mean = values.reduce((a, b) => a + b, 0) / (values.length || 1);
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length || 1));
    return { op, mean, std: std > 1e-12 ? std : 1 };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { op, min, range: max - min > 1e-12 ? max - min : 1 };
}

/** The affine map back to the target's units: `y = z · scale + offset`. */
export function targetAffine(t: TargetTransform): { scale: number; offset: number } {
  return t.op === "standardize" ? { scale: t.std, offset: t.mean } : { scale: t.range, offset: t.min };
}

/** Targets in the units the model trains on. */
export function scaleTargets(t: TargetTransform | undefined, y: Float32Array): Float32Array {
  if (!t) return y;
  const { scale, offset } = targetAffine(t);
  return y.map((v) => (v - offset) / scale);
}

/** Model outputs back in the target's own units (float64, so the inverse adds no rounding of its own). */
export function unscaleTargets(t: TargetTransform | undefined, z: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(z);
  if (!t) return out;
  const { scale, offset } = targetAffine(t);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale + offset;
  return out;
}
