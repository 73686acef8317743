import type { ModelLoadCheck } from "../core/registry/registry-port.ts";

/** onnxruntime-node loads only when the App releases a model: the load check runs it once. */
export async function loadModelCheck(): Promise<ModelLoadCheck> {
  return (await import("../runners/serve/check-model-loads.ts")).checkModelLoads;
}
