import type { ReferenceProfile } from "../monitoring/reference-profile.ts";

/** The value each raw feature is replaced by: the training mean (numeric) or most frequent value (categorical). */
export type OcclusionReference = Record<string, number | string>;

/** Reference values from the training split's profile (model/reference-profile.json). */
export function occlusionReference(profile: ReferenceProfile): OcclusionReference {
  const out: OcclusionReference = {};
  for (const f of profile.features) {
    if (f.kind === "numeric") {
      out[f.name] = f.mean;
    } else {
      const top = Object.entries(f.frequencies).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0];
      if (top) out[f.name] = top[0];
    }
  }
  return out;
}

/**
 * The rows to score for occlusion: block 0 is the request itself, block f + 1 is the request with
 * feature f replaced by its reference value. Each column comes back `rows × (features + 1)` long.
 */
export function occlusionBatch(
  columns: Record<string, ArrayLike<unknown>>,
  rows: number,
  features: readonly string[],
  reference: OcclusionReference,
): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [name, values] of Object.entries(columns)) {
    const col: unknown[] = [];
    for (let block = 0; block <= features.length; block++) {
      const occluded = block > 0 && features[block - 1] === name;
      for (let r = 0; r < rows; r++) col.push(occluded ? reference[name] : values[r]);
    }
    out[name] = col;
  }
  return out;
}

/** Per row and feature: score(request) − score(request with that feature at its reference value). */
export function occlusionAttributions(
  scores: ArrayLike<number>,
  rows: number,
  features: readonly string[],
): Array<Record<string, number>> {
  return Array.from({ length: rows }, (_, r) =>
    Object.fromEntries(features.map((f, i) => [f, scores[r]! - scores[(i + 1) * rows + r]!])),
  );
}
