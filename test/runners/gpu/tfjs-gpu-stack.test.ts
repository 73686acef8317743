import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TFJS_GPU_STACK } from "../../../runners/gpu/tfjs-gpu-stack.ts";

const ROOT = join(import.meta.dirname, "../../..");
const INSTALLED = join(ROOT, "node_modules", TFJS_GPU_STACK.package);

async function dockerArg(name: string): Promise<string | undefined> {
  const docker = await readFile(join(ROOT, "runners/gpu/Dockerfile"), "utf8");
  return new RegExp(`^ARG ${name}=(\\S+)$`, "m").exec(docker)?.[1];
}

describe("the GPU runner image follows the tfjs-node-gpu table", () => {
  it("builds FROM the table's CUDA image, whose tag carries the table's CUDA and cuDNN", async () => {
    const image = await dockerArg("CUDA_IMAGE");
    expect(image).toBe(TFJS_GPU_STACK.image);
    const tag = /^nvidia\/cuda:(\d+)\.(\d+)\.\d+-cudnn(\d+)-runtime-ubuntu[\d.]+$/.exec(image ?? "");
    expect(tag, `${image} is not an nvidia/cuda cudnn runtime tag`).not.toBeNull();
    expect(`${tag![1]}.${tag![2]}`).toBe(TFJS_GPU_STACK.cuda);
    expect(tag![3]).toBe(TFJS_GPU_STACK.cudnn.split(".")[0]);
  });

  it("turns TF32 off, so GPU-trained outputs stay within the float32 ONNX parity bound", async () => {
    const docker = await readFile(join(ROOT, "runners/gpu/Dockerfile"), "utf8");
    expect(docker).toMatch(/^ENV NVIDIA_TF32_OVERRIDE=0$/m);
  });

  it("names the tfjs-node-gpu version package.json installs", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      optionalDependencies?: Record<string, string>;
    };
    expect(pkg.optionalDependencies?.[TFJS_GPU_STACK.package]).toBe(TFJS_GPU_STACK.packageVersion);
  });

  // The package installs only where libtensorflow can be downloaded (a GPU runner, not here).
  it.skipIf(!existsSync(INSTALLED))("matches the libtensorflow the installed package downloads", async () => {
    const installed = JSON.parse(await readFile(join(INSTALLED, "package.json"), "utf8")) as {
      version: string;
    };
    expect(installed.version).toBe(TFJS_GPU_STACK.packageVersion);
    const constants = await readFile(join(INSTALLED, "scripts/deps-constants.js"), "utf8");
    expect(/LIBTENSORFLOW_VERSION = '([^']+)'/.exec(constants)?.[1]).toBe(TFJS_GPU_STACK.libtensorflow);
  });
});
