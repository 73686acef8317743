import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { parseTextPiece, type ParsedPiece, type TextPiece } from "./parse-text-piece.ts";

export type TextWorkerPool = {
  size: number;
  run(piece: TextPiece): Promise<ParsedPiece>;
  close(): Promise<void>;
};

const WORKER_URL = new URL("./parse-text-worker.ts", import.meta.url);

/**
 * `size` worker threads that parse text pieces, round-robin. Where the worker file is not on
 * disk (a bundle), pieces are parsed on the calling thread instead, with the same results.
 */
export function createTextWorkerPool(size: number): TextWorkerPool {
  if (size < 1 || WORKER_URL.protocol !== "file:" || !existsSync(fileURLToPath(WORKER_URL))) {
    return { size: 0, run: async (piece) => parseTextPiece(piece), close: async () => undefined };
  }
  const workers: Worker[] = [];
  const pending = new Map<number, { resolve: (p: ParsedPiece) => void; reject: (e: Error) => void }>();
  let next = 0;
  const fail = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const worker = (i: number): Worker => {
    let w = workers[i];
    if (!w) {
      w = new Worker(WORKER_URL);
      w.on("message", (msg: { id: number; parsed: ParsedPiece }) => {
        pending.get(msg.id)?.resolve(msg.parsed);
        pending.delete(msg.id);
      });
      w.on("error", fail);
      workers[i] = w;
    }
    return w;
  };
  return {
    size,
    run(piece) {
      const id = next++;
      const parsed = new Promise<ParsedPiece>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker(id % size).postMessage({ id, piece });
      });
      // A reader that stopped at an earlier piece's error never awaits the later ones; closing the
      // pool rejects them, and that must not surface as an unhandled rejection.
      parsed.catch(() => undefined);
      return parsed;
    },
    async close() {
      fail(new Error("worker pool closed"));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
