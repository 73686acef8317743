import { flattenParams } from "../compare/flatten-params.ts";
import type { History, RunRecord } from "../run/run-record.ts";

/** Where an indexed run came from: trained on this machine, or a CI record fetched by `runs pull`. */
export type RunSource = "local" | "pulled";

/**
 * One run as the index, the filters and `runs list/show --json` see it. Params are flattened to
 * dotted keys; tags and attributes are derived from run.json so every run has them.
 */
export type RunEntry = {
  id: string;
  source: RunSource;
  /** Run directory relative to the workspace root. */
  path: string;
  status: "succeeded" | "failed";
  model: string;
  task: "classification" | "regression";
  trainer: "builtin" | "command";
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  tags: Record<string, string>;
};

/** Builds the index entry of one run from its record, final metrics and params. */
export function toRunEntry(input: {
  record: RunRecord;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  source: RunSource;
  path: string;
}): RunEntry {
  const r = input.record;
  return {
    id: r.runId,
    source: input.source,
    path: input.path,
    status: r.status ?? "succeeded",
    model: r.model.name,
    task: r.model.task,
    trainer: r.trainer,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    metrics: input.metrics,
    params: flattenParams(input.params),
    tags: runTags(r),
  };
}

/** Tags every run carries, named after MLflow's system tags where one exists. */
export function runTags(r: RunRecord): Record<string, string> {
  const tags: Record<string, string> = {
    "mlflow.runName": r.runId,
    "modelship.model": r.model.name,
    "modelship.task": r.model.task,
    "modelship.trainer": r.trainer,
    "modelship.backend": r.backend,
    "modelship.dataFingerprint": r.data.fingerprint,
    "modelship.codeDirty": String(r.code.dirty),
  };
  if (r.code.commit) tags["mlflow.source.git.commit"] = r.code.commit;
  if (r.code.branch) tags["mlflow.source.git.branch"] = r.code.branch;
  if (r.command) tags["modelship.command"] = r.command;
  if (r.device) tags["modelship.device"] = r.device;
  if (r.preprocessHash) tags["modelship.preprocessHash"] = r.preprocessHash;
  if (r.failure) tags["modelship.failure"] = r.failure.code;
  return tags;
}

/** An attribute's value (see RUN_ATTRIBUTES); times are milliseconds since the epoch, as in MLflow. */
export function runAttribute(e: RunEntry, name: string): string | number | undefined {
  switch (name) {
    case "run_id":
    case "run_name":
      return e.id;
    case "status":
      return e.status;
    case "source":
      return e.source;
    case "model":
      return e.model;
    case "task":
      return e.task;
    case "trainer":
      return e.trainer;
    case "start_time":
      return Date.parse(e.startedAt);
    case "end_time":
      return Date.parse(e.finishedAt);
    case "duration_ms":
      return e.durationMs;
    default:
      return undefined;
  }
}

/** The history's epochs as MLflow-style metric series: name → [{ step, value }]. */
export function historySeries(
  history: History | undefined,
): Record<string, Array<{ step: number; value: number }>> {
  const out: Record<string, Array<{ step: number; value: number }>> = {};
  for (const row of history?.epochs ?? []) {
    for (const [name, value] of Object.entries(row)) {
      if (name === "epoch" || typeof value !== "number") continue;
      (out[name] ??= []).push({ step: row.epoch, value });
    }
  }
  return out;
}
