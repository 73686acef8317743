import type { TrialRunner } from "./run-study.ts";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { RUN_FILES } from "../../core/run/run-record.ts";
import { trainRun } from "./train-run.ts";

/**
 * Runs a trial inside this process, one at a time, without per-epoch checkpoints: for
 * benchmarks and small studies where a worker process per trial costs more than the training.
 * An interrupted trial starts again from epoch 1.
 */
export const runTrialInProcess: TrialRunner = async ({ job, onEpoch }) => {
  const outcome = trainRun({
    config: job.config,
    repoDir: job.repoDir,
    runsDir: job.runsDir,
    runId: job.runId,
    params: job.params,
    progress: "silent",
    // Plots are drawn for the runs people look at, not for every trial.
    plots: false,
    // Nor is permutation importance measured: retrain the best trial's params to get it.
    explain: false,
    log: () => undefined,
    shouldStop: ({ epoch, ...logs }) => onEpoch(epoch, logs),
  }).then(
    async ({ runDir, record }) => {
      const history = JSON.parse(await readFile(join(runDir, RUN_FILES.history), "utf8")) as {
        epochs: Record<string, number>[];
      };
      return {
        type: "done" as const,
        runDir,
        metrics: record.metrics,
        epochs: record.training?.epochs ?? history.epochs.length,
        prunedAtEpoch: record.training?.prunedAtEpoch ?? null,
        history: history.epochs,
      };
    },
    (err: unknown) => ({
      type: "failed" as const,
      code: err instanceof ModelshipError ? err.code : "train-failed",
      message: (err as Error).message,
    }),
  );
  return { outcome, kill: () => undefined };
};
