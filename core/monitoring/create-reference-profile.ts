import { profileColumn } from "./profile-column.ts";
import type { ReferenceProfile } from "./reference-profile.ts";

/**
 * The reference a deployed model's inputs are compared with: every feature of the training rows,
 * and the model's answers on the validation rows (labels, or regression values).
 */
export function createReferenceProfile(opts: {
  model: string;
  rows: ReadonlyArray<Record<string, unknown>>;
  features: readonly string[];
  predictions?: { name: string; values: readonly unknown[]; labels?: readonly string[] };
}): ReferenceProfile {
  const p = opts.predictions;
  return {
    format: "modelship.reference-profile/1",
    model: opts.model,
    rows: opts.rows.length,
    features: opts.features.map((name) => ({
      name,
      ...profileColumn(opts.rows.map((r) => r[name] ?? null)),
    })),
    prediction:
      p && p.values.length > 0
        ? {
            name: p.name,
            rows: p.values.length,
            ...(p.labels ? { labels: [...p.labels] } : {}),
            ...profileColumn(p.values),
          }
        : null,
  };
}
