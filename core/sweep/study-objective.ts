import type { Config } from "../config/schema.ts";
import { metricDirection } from "./metric-direction.ts";
import type { StudyObjective } from "./study.ts";

/** Metrics the built-in trainer reports after every epoch as `val_<name>`. */
const PER_EPOCH = new Set(["loss", "accuracy", "mae"]);

/**
 * The study's objective: `metric` (default metrics.primary, else val_loss) in its better
 * direction, and the per-epoch validation value the pruners compare — the metric itself when
 * training reports it every epoch (`val_…`), its `val_` twin when there is one, else val_loss.
 */
export function studyObjective(config: Config, metric?: string): StudyObjective {
  const name = metric ?? config.metrics.primary ?? "val_loss";
  const intermediate = name.startsWith("val_") ? name : PER_EPOCH.has(name) ? `val_${name}` : "val_loss";
  return {
    metric: name,
    direction: metricDirection(config, name),
    intermediate: { metric: intermediate, direction: metricDirection(config, intermediate) },
  };
}

/** The most epochs a trial can train: train.search.epochs' upper bound when searched, else train.params.epochs. */
export function studyMaxEpochs(config: Config): number {
  const dim = config.train.search["epochs"];
  if (dim && "max" in dim) return Math.max(1, Math.floor(dim.max));
  if (dim && "values" in dim)
    return Math.max(1, ...dim.values.filter((v): v is number => typeof v === "number"));
  return config.train.params.epochs;
}
