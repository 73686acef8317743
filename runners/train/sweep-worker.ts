import type { FromWorker, ToWorker, TrialJob } from "./sweep-messages.ts";
import { trainTrial } from "./train-trial.ts";

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
  const result = await trainTrial(job, {
    checkpoints: true,
    log: (line) => process.stderr.write(`${line}\n`),
    shouldStop: (log) =>
      new Promise<boolean>((resolve) => {
        decisions.set(log.epoch, resolve);
        const { epoch, ...logs } = log;
        void send({ type: "epoch", epoch, logs });
      }),
  });
  await send(result);
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
