import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyActionCheckout } from "./action-workspace.ts";
import { REPO_ROOT, runAction, type ActionRun } from "./run-action.ts";

// The built-in trainer on real data (Palmer penguins), three epochs.
const CONFIG = `model:
  name: penguins
  task: classification
  target: species
  features: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g]
data:
  source: [data/penguins.json]
  transforms:
    - { op: impute, column: bill_length_mm, strategy: median }
    - { op: impute, column: bill_depth_mm, strategy: median }
    - { op: impute, column: flipper_length_mm, strategy: median }
    - { op: impute, column: body_mass_g, strategy: median }
    - { op: standardize, column: bill_length_mm }
    - { op: standardize, column: bill_depth_mm }
    - { op: standardize, column: flipper_length_mm }
    - { op: standardize, column: body_mass_g }
train:
  params:
    layers: [{ units: 8, activation: relu }]
    epochs: 3
    seed: 1
`;

const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

async function penguinsWorkspace(): Promise<string> {
  const ws = await mkdtemp(join(tmpdir(), "modelship-ws-"));
  cleanup.push(ws);
  await mkdir(join(ws, ".github"), { recursive: true });
  await mkdir(join(ws, "data"));
  await writeFile(join(ws, ".github", "modelship.yml"), CONFIG);
  await writeFile(
    join(ws, "data", "penguins.json"),
    await readFile(join(REPO_ROOT, "examples", "penguins", "data", "penguins.json")),
  );
  return ws;
}

/** The lines between the training group's start and end, workflow-command lines excluded. */
function trainingGroup(run: ActionRun): string[] {
  const texts = run.lines.map((l) => l.text);
  const start = texts.findIndex((t) => t.startsWith("::group::modelship: training run"));
  const end = texts.indexOf("::endgroup::", start);
  expect(start, run.stdout).toBeGreaterThanOrEqual(0);
  return texts.slice(start + 1, end).filter((t) => !t.startsWith("::"));
}

describe("the Action's native runtime, from its own checkout", () => {
  it("installs the checkout's dependencies into the tool cache by lockfile hash once, then reuses them", async () => {
    const actionPath = await copyActionCheckout();
    const toolCache = await mkdtemp(join(tmpdir(), "modelship-tool-cache-"));
    cleanup.push(actionPath, toolCache);
    const ws = await penguinsWorkspace();
    const lockHash = createHash("sha256")
      .update(await readFile(join(actionPath, "package-lock.json")))
      .digest("hex");
    const cached = join(toolCache, "modelship", lockHash, "node_modules");
    await expect(access(join(actionPath, "node_modules"))).rejects.toThrow();

    const train = (runId: string) =>
      runAction({
        actionPath,
        workspace: ws,
        inputs: { command: "train", "run-id": runId },
        env: { RUNNER_TOOL_CACHE: toolCache },
        timeoutMs: 400_000,
      });
    const first = await train("first");
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.outputs).toMatchObject({ decision: "pass", "reason-code": "trained" });
    expect(first.stdout).toContain("::group::modelship: installing the native runtime (npm ci)");
    expect(first.stdout).toContain(
      `dependencies (package-lock.json sha256 ${lockHash.slice(0, 12)}) from the tool cache, installed now`,
    );
    // Production dependencies with their native parts, and nothing half-installed left behind.
    await access(join(cached, "onnxruntime-node", "package.json"));
    await expect(access(join(cached, "vitest"))).rejects.toThrow();
    // Optional packages are installed without their scripts: resvg's platform binary draws the
    // PNG plots, tfjs-node arrives without libtensorflow and training falls back to WebAssembly.
    await access(join(cached, "@resvg", "resvg-js", "package.json"));
    const runJson = await readFile(join(ws, ".modelship", "runs", "first", "run.json"), "utf8");
    expect(runJson).toMatch(/"backend": "wasm"/);
    const plots = await readdir(join(ws, ".modelship", "runs", "first", "plots"));
    expect(plots.filter((f) => f.endsWith(".png")).length).toBeGreaterThan(0);
    expect(await readdir(join(toolCache, "modelship"))).toEqual([lockHash]);
    expect(await readlink(join(actionPath, "node_modules"))).toBe(cached);
    await access(join(ws, ".modelship", "runs", "first", "model", "model.onnx"));
    // The built-in trainer's epochs stream into the training group.
    expect(trainingGroup(first).filter((l) => l.startsWith("epoch "))).toEqual([
      expect.stringMatching(/^epoch 1\/3 +loss /),
      expect.stringMatching(/^epoch 2\/3 +loss /),
      expect.stringMatching(/^epoch 3\/3 +loss /),
    ]);

    const second = await train("second");
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).not.toContain("npm ci");
    expect(second.stdout).toContain("from the tool cache, reused");
    await access(join(ws, ".modelship", "runs", "second", "model", "model.onnx"));
    expect(second.durationMs).toBeLessThan(first.durationMs);
  }, 900_000);

  it("stops with runtime-unavailable and leaves no partial install when npm ci fails", async () => {
    const actionPath = await copyActionCheckout();
    const toolCache = await mkdtemp(join(tmpdir(), "modelship-tool-cache-"));
    cleanup.push(actionPath, toolCache);
    // A package.json out of step with its lockfile: npm ci refuses before downloading anything.
    const manifest = JSON.parse(await readFile(join(actionPath, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    manifest.dependencies["left-pad"] = "1.3.0";
    await writeFile(join(actionPath, "package.json"), JSON.stringify(manifest));
    const run = await runAction({
      actionPath,
      workspace: await penguinsWorkspace(),
      inputs: { command: "train" },
      env: { RUNNER_TOOL_CACHE: toolCache },
      timeoutMs: 120_000,
    });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ decision: "error", "reason-code": "runtime-unavailable" });
    expect(run.stdout).toMatch(
      /::group::modelship: installing the native runtime[^]*npm error[^]*::endgroup::/,
    );
    expect(await readdir(join(toolCache, "modelship"))).toEqual([]);
    await expect(access(join(actionPath, "node_modules"))).rejects.toThrow();
  }, 120_000);
});
