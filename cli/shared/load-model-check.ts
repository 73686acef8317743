import type { ModelLoadCheck } from "../../core/registry/registry-port.ts";

/** onnxruntime-node loads only when a command registers: the load check runs the model once. */
export async function loadModelCheck(): Promise<ModelLoadCheck> {
  return (await import("../../runners/serve/check-model-loads.ts")).checkModelLoads;
}
