import type { Direction } from "../compare/compare-runs.ts";
import { formatParamValue } from "../compare/flatten-params.ts";
import type { RunEntry } from "./run-entry.ts";

/** One metric across the compared runs; `best` names the run(s) with the best finite value. */
export type RunTableMetric = {
  name: string;
  direction: Direction;
  values: Record<string, number | null>;
  best: string[];
};

/** One flattened parameter across the compared runs; `differs` when not every run has the same value. */
export type RunTableParam = { name: string; values: Record<string, unknown>; differs: boolean };

/** `runs compare --format json`: a DVC `exp show`-like table of several runs. */
export type RunTable = {
  runs: Array<Pick<RunEntry, "id" | "source" | "status" | "model" | "startedAt">>;
  metrics: RunTableMetric[];
  params: RunTableParam[];
};

/** Builds the table of metrics and params of several runs; `direction` tells which way each metric is better. */
export function compareRunTable(
  entries: readonly RunEntry[],
  direction: (metric: string) => Direction,
): RunTable {
  const metricNames = [...new Set(entries.flatMap((e) => Object.keys(e.metrics)))].sort();
  const paramNames = [...new Set(entries.flatMap((e) => Object.keys(e.params)))].sort();
  const metrics = metricNames.map((name) => {
    const values = Object.fromEntries(entries.map((e) => [e.id, e.metrics[name] ?? null]));
    const dir = direction(name);
    const finite = entries.map((e) => e.metrics[name]).filter((v): v is number => Number.isFinite(v));
    const target =
      finite.length === 0 ? undefined : dir === "maximize" ? Math.max(...finite) : Math.min(...finite);
    const best =
      target === undefined ? [] : entries.filter((e) => e.metrics[name] === target).map((e) => e.id);
    return { name, direction: dir, values, best };
  });
  const params = paramNames.map((name) => {
    const values = Object.fromEntries(entries.map((e) => [e.id, e.params[name] ?? null]));
    const shown = new Set(entries.map((e) => formatParamValue(e.params[name])));
    return { name, values, differs: shown.size > 1 };
  });
  return {
    runs: entries.map((e) => ({
      id: e.id,
      source: e.source,
      status: e.status,
      model: e.model,
      startedAt: e.startedAt,
    })),
    metrics,
    params,
  };
}
