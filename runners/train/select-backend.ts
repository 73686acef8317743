import { dirname } from "node:path";
import { createRequire } from "node:module";
import type * as TfModule from "@tensorflow/tfjs";
import { ModelshipError } from "../../core/errors.ts";

export type Tf = typeof TfModule;

export const BACKEND_NAMES = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export type SelectedBackend = {
  tf: Tf;
  /** The tfjs backend that ran: `tensorflow` (libtensorflow, from tfjs-node or tfjs-node-gpu), `wasm` or `cpu`. */
  backend: "tensorflow" | "wasm" | "cpu";
  /** `gpu` only when TensorFlow itself reported placing work on a GPU. */
  device: "gpu" | "cpu";
  /** Faster candidates that were not used, and why, for run.json and the CLI. */
  skipped: { backend: BackendName; reason: string }[];
};

const require = createRequire(import.meta.url);
let cached: Promise<SelectedBackend> | undefined;

/**
 * Picks the fastest TensorFlow.js backend that loads here: tfjs-node-gpu → tfjs-node → wasm → cpu.
 * `MODELSHIP_TF_BACKEND` (one of BACKEND_NAMES) forces one and fails if it cannot load.
 * The result is shared by the process because tfjs keeps one global engine.
 */
export function selectBackend(
  forced: string | undefined = process.env.MODELSHIP_TF_BACKEND,
): Promise<SelectedBackend> {
  cached ??= pick(forced?.trim() || undefined);
  return cached;
}

async function pick(forced: string | undefined): Promise<SelectedBackend> {
  if (forced !== undefined && !(BACKEND_NAMES as readonly string[]).includes(forced)) {
    throw new ModelshipError({
      code: "backend-unknown",
      message: `MODELSHIP_TF_BACKEND=${forced} is not a backend`,
      hint: `Use one of ${BACKEND_NAMES.join(", ")}, or unset it to pick automatically.`,
    });
  }
  const order: BackendName[] = forced ? [forced as BackendName] : [...BACKEND_NAMES];
  const skipped: SelectedBackend["skipped"] = [];
  for (const backend of order) {
    try {
      const tf = await load(backend);
      const device = usesGpu(tf) ? "gpu" : "cpu";
      if (backend === "tensorflow-gpu" && device === "cpu") {
        const reason = "TensorFlow saw no usable GPU (no device, or CUDA/cuDNN libraries it could not load)";
        if (forced) throw new Error(reason);
        // libtensorflow is loaded and runs on the CPU; tfjs-node could not add anything now.
        skipped.push({ backend, reason: `${reason}; running its CPU kernels` });
        return { tf, backend: "tensorflow", device, skipped };
      }
      return { tf, backend: backend === "tensorflow-gpu" ? "tensorflow" : backend, device, skipped };
    } catch (err) {
      const reason = skipReason(backend, err);
      if (forced) {
        throw new ModelshipError({
          code: "backend-unavailable",
          message: `MODELSHIP_TF_BACKEND=${forced} cannot be loaded: ${reason}`,
          hint: backend.startsWith("tensorflow")
            ? "Install @tensorflow/tfjs-node (or -gpu) where libtensorflow can be downloaded; for the GPU, use the CUDA and cuDNN versions in docs/training.md (The GPU runner image); or unset MODELSHIP_TF_BACKEND."
            : "Reinstall dependencies (npm ci), or unset MODELSHIP_TF_BACKEND.",
        });
      }
      skipped.push({ backend, reason });
    }
  }
  throw new ModelshipError({
    code: "backend-unavailable",
    message: "no TensorFlow.js backend could be loaded",
    hint: "Run npm ci.",
  });
}

/** The GPU answer comes from TensorFlow (tfjs-node's binding), never from which package loaded. */
function usesGpu(tf: Tf): boolean {
  const active = tf.backend() as { isUsingGpuDevice?: unknown };
  return active.isUsingGpuDevice === true;
}

function skipReason(backend: BackendName, err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === "ERR_MODULE_NOT_FOUND" || e.code === "MODULE_NOT_FOUND") {
    return `${packageOf(backend)} is not installed (an optional dependency whose install downloads libtensorflow)`;
  }
  return (e.message ?? String(err)).split("\n")[0] ?? String(err);
}

function packageOf(backend: BackendName): string {
  if (backend === "tensorflow-gpu") return "@tensorflow/tfjs-node-gpu";
  if (backend === "tensorflow") return "@tensorflow/tfjs-node";
  return backend === "wasm" ? "@tensorflow/tfjs-backend-wasm" : "@tensorflow/tfjs";
}

async function load(backend: BackendName): Promise<Tf> {
  if (backend === "tensorflow-gpu" || backend === "tensorflow") {
    const tf = (await import(packageOf(backend))) as Tf;
    await ready(tf, "tensorflow");
    return tf;
  }
  const tf = await import("@tensorflow/tfjs");
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // The package's Node build looks for its .wasm files next to the page; point it at dist/ on disk.
    wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  }
  await ready(tf, backend);
  return tf;
}

async function ready(tf: Tf, name: string): Promise<void> {
  // Production mode silences tfjs's "install our node backend" banner and skips debug checks.
  tf.enableProdMode();
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend '${name}' failed to initialise`);
  await tf.ready();
}
