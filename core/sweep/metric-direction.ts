import type { Direction } from "../compare/compare-runs.ts";
import type { Config } from "../config/schema.ts";

/** The better direction of a metric: its gate's, else minimise losses and errors, else maximise. */
export function metricDirection(config: Config, metric: string): Direction {
  const gate = config.metrics.gates[metric];
  if (gate) return gate.direction;
  return /(^|[._/-])(loss|error|err|mse|rmse|mae|mape|logloss|perplexity|latency)s?($|[._/-])|loss$|error$/i.test(
    metric,
  )
    ? "minimize"
    : "maximize";
}
