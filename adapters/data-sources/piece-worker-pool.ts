import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { parsePiece, type PieceTask } from "./parse-piece.ts";
import type { ParsedPiece } from "./parse-text-piece.ts";
import { workerExecArgv } from "../process/worker-exec-argv.ts";

export type PieceWorkerPool = {
  size: number;
  run(task: PieceTask): Promise<ParsedPiece>;
  close(): Promise<void>;
};

// The worker is a sibling of this module: .ts when run from source, .js once compiled.
const WORKER_URL = new URL(
  import.meta.url.endsWith(".ts") ? "./parse-piece-worker.ts" : "./parse-piece-worker.js",
  import.meta.url,
);

/**
 * `size` worker threads that parse pieces (text runs, Parquet row groups), each piece to the
 * worker with the fewest pieces queued. Bytes a task or a result owns are handed over, not
 * copied. Where the worker file is not on disk (a bundle), pieces are parsed on the calling
 * thread instead, with the same results. `kind` "parquet" has the workers load the Parquet decoder
 * as they start, rather than with their first row group.
 */
export function createPieceWorkerPool(size: number, kind: "text" | "parquet" = "text"): PieceWorkerPool {
  if (size < 1 || WORKER_URL.protocol !== "file:" || !existsSync(fileURLToPath(WORKER_URL))) {
    return { size: 0, run: (task) => parsePiece(task), close: async () => undefined };
  }
  const workers: Array<{ worker: Worker; queued: number }> = [];
  const pending = new Map<number, { resolve: (p: ParsedPiece) => void; reject: (e: Error) => void }>();
  let next = 0;
  // A worker that failed (even before its first piece) fails every piece asked for later too.
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  // Started now, so that they load their modules while the caller reads the first piece.
  for (let i = 0; i < size; i++) {
    const slot = {
      worker: new Worker(WORKER_URL, { execArgv: workerExecArgv(), workerData: { kind } }),
      queued: 0,
    };
    slot.worker.on("message", (msg: { id: number; parsed: ParsedPiece }) => {
      slot.queued--;
      pending.get(msg.id)?.resolve(msg.parsed);
      pending.delete(msg.id);
    });
    slot.worker.on("error", fail);
    workers.push(slot);
  }
  const pick = () => workers.reduce((a, b) => (b.queued < a.queued ? b : a));
  return {
    size,
    run(task) {
      const id = next++;
      const parsed = new Promise<ParsedPiece>((resolve, reject) => {
        if (failure) return reject(failure);
        pending.set(id, { resolve, reject });
        const slot = pick();
        slot.queued++;
        slot.worker.postMessage(
          { id, task },
          task.kind === "parquet" ? [task.bytes.buffer as ArrayBuffer] : [],
        );
      });
      // A reader that stopped at an earlier piece's error never awaits the later ones; closing the
      // pool rejects them, and that must not surface as an unhandled rejection.
      parsed.catch(() => undefined);
      return parsed;
    },
    async close() {
      fail(new Error("worker pool closed"));
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
