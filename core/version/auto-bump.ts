import type { Bump } from "./next-version.ts";

/** The bump `registry.bump: auto` picks: a changed signature breaks callers, a better model is a feature, anything else a fix. */
export function autoBump(change: { signatureChanged: boolean; primaryImproved: boolean }): Bump {
  if (change.signatureChanged) return "major";
  if (change.primaryImproved) return "minor";
  return "patch";
}

/** One tensor of a model signature, as run.json records it. */
export type TensorSpec = { name: string; datatype: string; shape: readonly number[] };
export type SignatureLike = { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] };

/**
 * Whether a caller of the model would notice the change: tensor names, dtypes or shapes differ,
 * or one side has a signature and the other has none. Order of tensors matters (positional feeds).
 */
export function signatureChanged(
  previous: SignatureLike | undefined,
  next: SignatureLike | undefined,
): boolean {
  if (!previous && !next) return false;
  if (!previous || !next) return true;
  const same = (a: readonly TensorSpec[], b: readonly TensorSpec[]) =>
    a.length === b.length &&
    a.every((t, i) => {
      const u = b[i];
      return (
        u !== undefined &&
        t.name === u.name &&
        t.datatype === u.datatype &&
        t.shape.length === u.shape.length &&
        t.shape.every((d, j) => d === u.shape[j])
      );
    });
  return !same(previous.inputs, next.inputs) || !same(previous.outputs, next.outputs);
}
