import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import ort from "onnxruntime-node";
import { workerExecArgv } from "../../adapters/process/worker-exec-argv.ts";

/** What the batch runner and the served model need of an onnxruntime session. */
export type RunnableSession = {
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  run(feeds: Record<string, ort.Tensor>, fetches: string[]): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
};

/** A tensor as it crosses to and from the worker: structured-cloned, so the sender keeps its own. */
export type WireTensor = { type: ort.Tensor.Type; data: ort.Tensor.DataType; dims: readonly number[] };

export type ToInferenceWorker =
  { kind: "run"; id: number; feeds: Record<string, WireTensor>; fetches: string[] } | { kind: "release" };

export type FromInferenceWorker =
  | {
      kind: "ready";
      inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
      outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
    }
  | { kind: "failed"; message: string }
  | { kind: "ran"; id: number; outputs?: Record<string, WireTensor>; error?: string };

// The sources run as .ts; the published package runs the compiled .js next to this file's own copy.
const EXT = import.meta.url.endsWith(".ts") ? "ts" : "js";
const WORKER_URL = new URL(`./inference-worker.${EXT}`, import.meta.url);

/** Whether a worker thread can be started here (a bundle has no worker file beside it). */
export function inferenceWorkerAvailable(): boolean {
  return WORKER_URL.protocol === "file:" && existsSync(fileURLToPath(WORKER_URL));
}

/**
 * An onnxruntime session that lives in a worker thread, so `session.run` (synchronous inside
 * onnxruntime-node) leaves the event loop free to read and answer other requests meanwhile.
 * Tensors are copied each way. If the worker dies, every waiting and later run fails.
 */
export async function createWorkerSession(file: string): Promise<RunnableSession> {
  const worker = new Worker(WORKER_URL, { workerData: { file }, execArgv: workerExecArgv() });
  const waiting = new Map<
    number,
    { resolve: (r: Record<string, ort.Tensor>) => void; reject: (e: Error) => void }
  >();
  let next = 0;
  let broken: Error | undefined;
  const fail = (err: Error) => {
    broken ??= err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const ready = new Promise<Extract<FromInferenceWorker, { kind: "ready" }>>((resolve, reject) => {
    worker.on("message", (m: FromInferenceWorker) => {
      if (m.kind === "ready") resolve(m);
      else if (m.kind === "failed") reject(new Error(m.message));
      else settle(m);
    });
    worker.once("error", (err) => {
      reject(err);
      fail(err);
    });
    worker.once("exit", (code) => {
      reject(new Error(`inference worker exited with code ${code}`));
      fail(new Error(`inference worker exited with code ${code}`));
    });
  });
  function settle(m: Extract<FromInferenceWorker, { kind: "ran" }>): void {
    const w = waiting.get(m.id);
    if (w === undefined) return;
    waiting.delete(m.id);
    if (m.outputs === undefined) return w.reject(new Error(m.error ?? "inference failed"));
    const out: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(m.outputs)) {
      out[name] = new ort.Tensor(t.type as "float32", t.data as Float32Array, t.dims);
    }
    w.resolve(out);
  }
  let meta: Extract<FromInferenceWorker, { kind: "ready" }>;
  try {
    meta = await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  worker.unref();
  return {
    inputMetadata: meta.inputMetadata,
    outputMetadata: meta.outputMetadata,
    run(feeds, fetches) {
      if (broken !== undefined) return Promise.reject(broken);
      const id = next++;
      const wire: Record<string, WireTensor> = {};
      for (const [name, t] of Object.entries(feeds))
        wire[name] = { type: t.type, data: t.data, dims: t.dims };
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ kind: "run", id, feeds: wire, fetches } satisfies ToInferenceWorker);
      });
    },
    async release() {
      fail(new Error("the model was released"));
      await worker.terminate();
    },
  };
}
