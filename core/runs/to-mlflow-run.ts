import { formatParamValue } from "../compare/flatten-params.ts";
import { sha256Hex } from "../data/sha256.ts";
import type { History } from "../run/run-record.ts";
import { historySeries, type RunEntry } from "./run-entry.ts";

export type MlflowMetric = { key: string; value: number; timestamp: number; step: number };
export type MlflowKeyValue = { key: string; value: string };

/** A run in MLflow's terms, ready for the file store or the REST API. */
export type MlflowRun = {
  /** 32 hex characters derived from the run id, so exporting the same run twice gives the same id. */
  runId: string;
  runName: string;
  experimentName: string;
  startTime: number;
  endTime: number;
  status: "FINISHED" | "FAILED";
  params: MlflowKeyValue[];
  metrics: MlflowMetric[];
  tags: MlflowKeyValue[];
  /** Names MLflow would refuse (characters outside `[A-Za-z0-9_-. /]`, or `.`/`..` path segments); left out. */
  skippedKeys: string[];
};

// MLflow's documented size limits for keys and values (FileStore and REST alike).
const MAX_PARAM_VALUE = 6000;
const MAX_TAG_VALUE = 8000;

/**
 * Converts an indexed run and its per-epoch history to MLflow's model: every history column becomes
 * a metric series (step = epoch), and each final metric is logged once more at the end time, so
 * MLflow's "latest value" is the final metric. Epoch timestamps are spread evenly over the run.
 */
export function toMlflowRun(entry: RunEntry, history: History | undefined): MlflowRun {
  const startTime = Date.parse(entry.startedAt);
  const endTime = Math.max(startTime, Date.parse(entry.finishedAt));
  const series = historySeries(history);
  const lastEpoch = Math.max(0, ...(history?.epochs ?? []).map((e) => e.epoch));
  const at = (epoch: number) =>
    lastEpoch === 0 ? endTime : Math.round(startTime + ((endTime - startTime) * epoch) / lastEpoch);
  const metrics: MlflowMetric[] = [];
  for (const [key, points] of Object.entries(series)) {
    for (const p of points) metrics.push({ key, value: p.value, timestamp: at(p.step), step: p.step });
  }
  for (const [key, value] of Object.entries(entry.metrics)) {
    metrics.push({ key, value, timestamp: endTime, step: lastEpoch });
  }
  const skippedKeys = [
    ...new Set([...metrics.map((m) => m.key), ...Object.keys(entry.params), ...Object.keys(entry.tags)]),
  ].filter((k) => !isMlflowKey(k));
  const ok = (k: string) => !skippedKeys.includes(k);
  return {
    runId: sha256Hex(`modelship-run:${entry.model}:${entry.id}`).slice(0, 32),
    runName: entry.id,
    experimentName: entry.model,
    startTime,
    endTime,
    status: entry.status === "failed" ? "FAILED" : "FINISHED",
    params: Object.entries(entry.params)
      .filter(([key]) => ok(key))
      .map(([key, v]) => ({
        key,
        value: formatParamValue(v).slice(0, MAX_PARAM_VALUE),
      })),
    metrics: metrics.filter((m) => ok(m.key)),
    tags: [
      ...Object.entries(entry.tags)
        .filter(([key]) => ok(key))
        .map(([key, value]) => ({ key, value: value.slice(0, MAX_TAG_VALUE) })),
      { key: "modelship.runId", value: entry.id },
      { key: "modelship.source", value: entry.source },
    ],
    skippedKeys,
  };
}

/** MLflow's rule for metric, param and tag names; they become file paths in its file store. */
export function isMlflowKey(key: string): boolean {
  return (
    key.length > 0 &&
    key.length <= 250 &&
    /^[\w\-. /]+$/.test(key) &&
    !key.startsWith("/") &&
    key.split("/").every((seg) => seg !== "." && seg !== ".." && seg !== "")
  );
}

/** A metric value as MLflow's file store writes it (Python's float repr for the non-finite ones). */
export function mlflowNumberText(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return String(v);
}

/** Splits a run's data into log-batch requests within MLflow's limits (1000 metrics, 100 params, 100 tags, 1000 in all). */
export function splitLogBatches(run: Pick<MlflowRun, "metrics" | "params" | "tags">): Array<{
  metrics: MlflowMetric[];
  params: MlflowKeyValue[];
  tags: MlflowKeyValue[];
}> {
  const batches: Array<{ metrics: MlflowMetric[]; params: MlflowKeyValue[]; tags: MlflowKeyValue[] }> = [];
  const params = [...run.params];
  const tags = [...run.tags];
  const metrics = [...run.metrics];
  while (params.length + tags.length + metrics.length > 0) {
    const p = params.splice(0, 100);
    const t = tags.splice(0, 100);
    const m = metrics.splice(0, 1000 - p.length - t.length);
    batches.push({ metrics: m, params: p, tags: t });
  }
  return batches;
}
