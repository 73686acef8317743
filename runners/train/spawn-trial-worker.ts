import { fork } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { FromWorker, ToWorker, TrialJob } from "./sweep-messages.ts";

// The sources run as .ts; the published package runs the compiled .js next to this file's own copy.
const EXT = import.meta.url.endsWith(".ts") ? "ts" : "js";
export const DEFAULT_WORKER_ENTRY = fileURLToPath(new URL(`./sweep-worker.${EXT}`, import.meta.url));

export type TrialOutcome =
  | Extract<FromWorker, { type: "done" } | { type: "failed" }>
  | { type: "exited"; code: number | null; signal: string | null; tail: string };

export type TrialWorker = { outcome: Promise<TrialOutcome>; kill: () => void };

/**
 * Starts one trial in a worker process. `onEpoch` answers whether to stop (the pruner); the
 * worker waits for that answer. Output goes to `logFile`; the last lines also come back when the
 * process dies without a result.
 */
export async function spawnTrialWorker(opts: {
  job: TrialJob;
  logFile: string;
  onEpoch: (epoch: number, logs: Record<string, number>) => Promise<boolean>;
  entry?: string;
}): Promise<TrialWorker> {
  await mkdir(dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: "a" });
  const child = fork(opts.entry ?? DEFAULT_WORKER_ENTRY, [], {
    cwd: opts.job.repoDir,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "json",
  });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-2000);
    log.write(chunk);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let result: TrialOutcome | undefined;
  child.on("message", (message: FromWorker) => {
    if (message.type === "epoch") {
      void opts.onEpoch(message.epoch, message.logs).then(
        (stop) =>
          child.connected && child.send({ type: "decision", epoch: message.epoch, stop } satisfies ToWorker),
        () => child.kill("SIGTERM"),
      );
    } else {
      result = message;
    }
  });
  const outcome = new Promise<TrialOutcome>((resolve) => {
    child.once("error", (err) => {
      result ??= { type: "exited", code: null, signal: null, tail: err.message };
    });
    child.once("close", (code, signal) => {
      log.end();
      resolve(result ?? { type: "exited", code, signal, tail });
    });
  });
  child.send({ type: "start", job: opts.job } satisfies ToWorker);
  return { outcome, kill: () => void child.kill("SIGTERM") };
}
