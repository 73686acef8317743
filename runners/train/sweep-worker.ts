import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { RUN_FILES } from "../../core/run/run-record.ts";
import type { FromWorker, ToWorker, TrialJob } from "./sweep-messages.ts";
import { trainRun } from "./train-run.ts";

/**
 * A sweep trial in its own process: trains the job its parent sends over the IPC channel,
 * reports each epoch's logs and waits for the pruner's answer before the next epoch.
 * Exits when the parent goes away, so no trial outlives its study process.
 */
function send(message: FromWorker): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())),
  );
}

const decisions = new Map<number, (stop: boolean) => void>();

async function run(job: TrialJob): Promise<void> {
  try {
    const { runDir, record } = await trainRun({
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
      checkpointDir: job.checkpointDir,
      log: (line) => process.stderr.write(`${line}\n`),
      shouldStop: (log) =>
        new Promise<boolean>((resolve) => {
          decisions.set(log.epoch, resolve);
          const { epoch, ...logs } = log;
          void send({ type: "epoch", epoch, logs });
        }),
    });
    const history = await readHistory(runDir);
    await send({
      type: "done",
      runDir,
      metrics: record.metrics,
      epochs: record.training?.epochs ?? history.length,
      prunedAtEpoch: record.training?.prunedAtEpoch ?? null,
      history,
    });
  } catch (err) {
    const code = err instanceof ModelshipError ? err.code : "train-failed";
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    await send({ type: "failed", code, message: (err as Error).message });
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

if (!process.send) {
  process.stderr.write("sweep-worker: start me with an IPC channel (modelship sweep run does)\n");
  process.exit(2);
}
process.on("disconnect", () => process.exit(1));
process.on("message", (message: ToWorker) => {
  if (message.type === "start") {
    // The result is sent (and acknowledged) before the process ends.
    void run(message.job).finally(() => process.exit(0));
  } else if (message.type === "decision") {
    decisions.get(message.epoch)?.(message.stop);
    decisions.delete(message.epoch);
  }
});
