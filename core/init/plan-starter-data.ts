import type { Transform } from "../config/schema.ts";
import type { Problem } from "../errors.ts";
import type { ColumnProfile } from "./profile-columns.ts";

const SHOWN_COLUMNS = 20;

export type StarterDataPlan =
  { ok: true; transforms: Transform[]; features: string[] } | { ok: false; problems: Problem[] };

/**
 * What the starter config needs to train on `--data` as written: the target column must be there
 * (and numeric for regression); every other column is a feature — numbers standardized,
 * anything else one-hot encoded, gaps imputed (median, most frequent).
 */
export function planStarterData(opts: {
  columns: readonly ColumnProfile[];
  target: string;
  task: "classification" | "regression";
  data: string;
}): StarterDataPlan {
  const target = opts.columns.find((c) => c.name === opts.target);
  if (!target) {
    const shown = opts.columns.slice(0, SHOWN_COLUMNS).map((c) => JSON.stringify(c.name));
    const more = opts.columns.length > SHOWN_COLUMNS ? `, … (${opts.columns.length} in all)` : "";
    return fail(
      `--target: no column ${JSON.stringify(opts.target)} in ${opts.data} (its columns: ${shown.join(", ") || "none"}${more})`,
      "Pass --target with the column the model should predict.",
    );
  }
  if (opts.task === "regression" && !target.numeric) {
    return fail(
      `--task regression: the target column ${JSON.stringify(opts.target)} holds values that are not numbers`,
      "Pass --task classification to predict categories, or --target with a numeric column.",
    );
  }
  const others = opts.columns.filter((c) => c !== target);
  const features = others.filter((c) => c.present > 0);
  if (features.length === 0) {
    return fail(
      `--data: ${opts.data} has no column besides the target ${JSON.stringify(opts.target)}`,
      "The model needs at least one input column.",
    );
  }
  return {
    ok: true,
    transforms: features.flatMap(featureTransforms),
    // Empty means every column but the target; list them only when an empty column must stay out.
    features: features.length === others.length ? [] : features.map((c) => c.name),
  };
}

function featureTransforms(c: ColumnProfile): Transform[] {
  const column = c.name;
  if (c.numeric) {
    const scale: Transform = { op: "standardize", column };
    return c.missing ? [{ op: "impute", column, strategy: "median" }, scale] : [scale];
  }
  const encode: Transform = { op: "onehot", column };
  return c.missing ? [{ op: "impute", column, strategy: "most_frequent" }, encode] : [encode];
}

function fail(message: string, hint: string): StarterDataPlan {
  return { ok: false, problems: [{ code: "init-data-invalid", message, hint }] };
}
