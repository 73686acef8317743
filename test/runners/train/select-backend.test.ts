import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const repoDir = join(import.meta.dirname, "../../..");
// Each case runs in its own process: tfjs keeps one global engine per process.
const script = `
import { selectBackend } from "./runners/train/select-backend.ts";
try {
  const { tf, backend, device, skipped } = await selectBackend();
  const y = tf.tensor1d([1, 2, 3]).square().sum().dataSync()[0];
  console.log(JSON.stringify({ backend, device, active: tf.getBackend(), skipped, y }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message }));
}
`;

function run(env: Record<string, string>): Promise<{ out: Record<string, unknown>; all: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
      cwd: repoDir,
      env: { ...process.env, MODELSHIP_TF_BACKEND: "", ...env },
    });
    let stdout = "";
    let all = "";
    child.stdout.on("data", (d: Buffer) => ((stdout += d.toString()), (all += d.toString())));
    child.stderr.on("data", (d: Buffer) => (all += d.toString()));
    child.on("close", () =>
      resolve({ out: JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>, all }),
    );
  });
}

describe("selectBackend", () => {
  it("falls back past the missing native backends to wasm, on the CPU, and says why each was skipped", async () => {
    const { out } = await run({});
    expect(out).toEqual({
      backend: "wasm",
      device: "cpu",
      active: "wasm",
      skipped: [
        {
          backend: "tensorflow-gpu",
          reason:
            "@tensorflow/tfjs-node-gpu is not installed (an optional dependency whose install downloads libtensorflow)",
        },
        {
          backend: "tensorflow",
          reason:
            "@tensorflow/tfjs-node is not installed (an optional dependency whose install downloads libtensorflow)",
        },
      ],
      y: 14,
    });
  });

  it.each([
    [{ MODELSHIP_TF_BACKEND: "cpu" }, { backend: "cpu", device: "cpu", active: "cpu", skipped: [], y: 14 }],
    [
      { MODELSHIP_TF_BACKEND: "wasm" },
      { backend: "wasm", device: "cpu", active: "wasm", skipped: [], y: 14 },
    ],
  ])("honours %j without printing tfjs's banner", async (env, expected) => {
    const { out, all } = await run(env);
    expect(out).toEqual(expected);
    expect(all).not.toMatch(/Hi, looks like|tfjs-node/);
  });

  it.each([
    [
      { MODELSHIP_TF_BACKEND: "tensorflow" },
      "backend-unavailable",
      /cannot be loaded: @tensorflow\/tfjs-node is not installed/,
    ],
    [{ MODELSHIP_TF_BACKEND: "tensorflow-gpu" }, "backend-unavailable", /tfjs-node-gpu is not installed/],
    [{ MODELSHIP_TF_BACKEND: "webgpu" }, "backend-unknown", /tensorflow-gpu, tensorflow, wasm, cpu/],
  ])("fails clearly for %j", async (env, code, message) => {
    const { out } = await run(env);
    expect(out.code).toBe(code);
    expect(String(out.message)).toMatch(message);
  });
});
