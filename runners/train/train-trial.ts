import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { RUN_FILES } from "../../core/run/run-record.ts";
import type { FitControl } from "./fit-model.ts";
import type { FromWorker, TrialJob } from "./sweep-messages.ts";
import { trainRun } from "./train-run.ts";

/** How a trial ended, as a worker reports it. */
export type TrialResult = Extract<FromWorker, { type: "done" } | { type: "failed" }>;

/**
 * Trains one sweep trial as a normal run directory, without plots or permutation importance
 * (retrain the best trial's params to get them), and reads back what the study records.
 */
export async function trainTrial(
  job: TrialJob,
  opts: {
    shouldStop: NonNullable<FitControl["shouldStop"]>;
    log: (line: string) => void;
    checkpoints: boolean;
  },
): Promise<TrialResult> {
  try {
    const { runDir, record } = await trainRun({
      config: job.config,
      repoDir: job.repoDir,
      runsDir: job.runsDir,
      runId: job.runId,
      params: job.params,
      progress: "silent",
      plots: false,
      explain: false,
      ...(opts.checkpoints ? { checkpointDir: job.checkpointDir } : {}),
      log: opts.log,
      shouldStop: opts.shouldStop,
    });
    const history = await readHistory(runDir);
    return {
      type: "done",
      runDir,
      metrics: record.metrics,
      epochs: record.training?.epochs ?? history.length,
      prunedAtEpoch: record.training?.prunedAtEpoch ?? null,
      history,
    };
  } catch (err) {
    opts.log((err as Error).stack ?? String(err));
    return {
      type: "failed",
      code: err instanceof ModelshipError ? err.code : "train-failed",
      message: (err as Error).message,
    };
  }
}

async function readHistory(runDir: string): Promise<Record<string, number>[]> {
  try {
    const h = JSON.parse(await readFile(join(runDir, RUN_FILES.history), "utf8")) as {
      epochs?: Record<string, number>[];
    };
    return h.epochs ?? [];
  } catch {
    return [];
  }
}
