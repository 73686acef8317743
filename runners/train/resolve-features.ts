import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";

/** The feature columns: `model.features`, or every column but the target; checked against the data. */
export function resolveFeatures(config: Config, data: { columns: readonly string[] }): string[] {
  const target = config.model.target;
  if (!data.columns.includes(target)) {
    throw new ModelshipError({
      code: "target-not-in-data",
      message: `model.target '${target}' is not a column of the data`,
      hint: `Columns are: ${data.columns.join(", ")}.`,
    });
  }
  const features =
    config.model.features.length > 0 ? config.model.features : data.columns.filter((c) => c !== target);
  const missing = features.filter((f) => !data.columns.includes(f));
  if (missing.length > 0) {
    throw new ModelshipError({
      code: "feature-not-in-data",
      message: `model.features names ${missing.map((m) => `'${m}'`).join(", ")}, not found in the data`,
      hint: `Columns are: ${data.columns.join(", ")}.`,
    });
  }
  if (features.includes(target)) {
    throw new ModelshipError({
      code: "target-is-feature",
      message: `model.target '${target}' is also listed in model.features`,
      hint: "Remove the target from model.features; the model must not see its own answer.",
    });
  }
  return features;
}
