/**
 * Worker thread that owns one onnxruntime session (see worker-session.ts): it loads the model
 * named in workerData, says what it takes and returns, then runs each request it is sent.
 */
import { parentPort, workerData } from "node:worker_threads";
import ort from "onnxruntime-node";
import type { FromInferenceWorker, ToInferenceWorker, WireTensor } from "./worker-session.ts";

const port = parentPort!;
const send = (m: FromInferenceWorker) => port.postMessage(m);

function toWire(t: ort.Tensor): WireTensor {
  return { type: t.type, data: t.data, dims: t.dims };
}

try {
  const { file } = workerData as { file: string };
  const session = await ort.InferenceSession.create(file, {
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
  });
  send({ kind: "ready", inputMetadata: session.inputMetadata, outputMetadata: session.outputMetadata });
  port.on("message", (m: ToInferenceWorker) => {
    if (m.kind === "release") {
      void session.release().finally(() => port.close());
      return;
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(m.feeds)) {
      feeds[name] = new ort.Tensor(t.type as "float32", t.data as Float32Array, t.dims);
    }
    session.run(feeds, m.fetches).then(
      (results) => {
        const outputs: Record<string, WireTensor> = {};
        for (const [name, t] of Object.entries(results)) {
          outputs[name] = toWire(t);
          t.dispose();
        }
        send({ kind: "ran", id: m.id, outputs });
      },
      (err: unknown) => send({ kind: "ran", id: m.id, error: (err as Error).message }),
    );
  });
} catch (err) {
  send({ kind: "failed", message: (err as Error).message });
}
