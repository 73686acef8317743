import type { Study, StudyTrial } from "./study.ts";

/** How a trial ended, as its run directory (or its worker) tells it. */
export type TrialResultInput =
  | {
      kind: "finished";
      metrics: Record<string, number>;
      history: readonly Record<string, number>[];
      epochs: number;
      prunedAtEpoch: number | null;
    }
  | { kind: "failed"; code: string; message: string };

/**
 * Sets a trial's final state in place: pruned when the pruner stopped it, complete with the
 * objective's value, or failed (also when the run lacks a finite value of the objective).
 */
export function recordTrialResult(study: Study, trial: StudyTrial, result: TrialResultInput): void {
  if (result.kind === "failed") {
    trial.state = "failed";
    trial.value = null;
    trial.failure = { code: result.code, message: result.message };
    return;
  }
  const metric = study.objective.intermediate.metric;
  trial.intermediate = result.history.map((h) => {
    const v = h[metric];
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  });
  trial.epochs = result.epochs;
  delete trial.failure;
  if (result.prunedAtEpoch !== null) {
    trial.state = "pruned";
    trial.value = null;
    return;
  }
  const value = result.metrics[study.objective.metric];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    trial.state = "failed";
    trial.value = null;
    trial.failure = {
      code: "sweep-metric-missing",
      message: `the run reports no finite ${study.objective.metric} (it has ${Object.keys(result.metrics).join(", ")})`,
    };
    return;
  }
  trial.state = "complete";
  trial.value = value;
}

/** The run directory name of a study's trial. */
export function trialRunId(studyName: string, number: number): string {
  return `${studyName}-${trialId(number)}`;
}

/** A trial's short id, as a workflow matrix entry and the end of its run directory's name carry it. */
export function trialId(number: number): string {
  return `t${String(number).padStart(3, "0")}`;
}
