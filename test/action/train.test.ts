import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classifierModel } from "../fixtures/onnx/make-models.ts";
import { createWorkspace } from "./action-workspace.ts";
import { CLI_ENTRY, runAction } from "./run-action.ts";

// A training program in the shape `train.command` expects: it resumes from the newest checkpoint in
// MODELSHIP_CHECKPOINT_DIR when there is one, and writes a checkpoint per epoch.
const TRAIN_SCRIPT = `
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const out = process.env.MODELSHIP_OUTPUT_DIR;
const ckpt = process.env.MODELSHIP_CHECKPOINT_DIR;
const params = JSON.parse(process.env.MODELSHIP_PARAMS);
mkdirSync(ckpt, { recursive: true });
const done = readdirSync(ckpt).filter((f) => f.startsWith("epoch-")).length;
const epochs = [];
for (let e = done + 1; e <= params.epochs; e++) {
  writeFileSync(join(ckpt, "epoch-" + String(e).padStart(3, "0")), "weights");
  epochs.push({ epoch: e, loss: 1 / e });
}
const sawToken = Object.keys(process.env).some((k) => k.startsWith("INPUT_") || k === "ACTIONS_RUNTIME_TOKEN") ? 1 : 0;
writeFileSync(join(out, "metrics.json"), JSON.stringify({ accuracy: 0.95, loss: 0.12, resumed_from_epoch: done, saw_token: sawToken }));
writeFileSync(join(out, "history.json"), JSON.stringify({ epochs }));
copyFileSync("model.onnx", join(out, "model.onnx"));
`;

const CONFIG = `model:
  name: iris
  task: classification
train:
  command: node train.mjs
  search:
    epochs: { min: 1, max: 50, integer: true }
`;

async function trainWorkspace(): Promise<string> {
  const ws = await createWorkspace({ config: CONFIG });
  await writeFile(join(ws, "train.mjs"), TRAIN_SCRIPT);
  await writeFile(join(ws, "model.onnx"), classifierModel());
  return ws;
}

const env = { MODELSHIP_CLI: CLI_ENTRY };

describe("command: train", () => {
  it("trains through the modelship CLI and resumes from the cached checkpoint directory", async () => {
    const ws = await trainWorkspace();
    const dispatch = {
      inputs: {
        pr_number: "2",
        head_sha: "ec26c3e",
        params: "{}",
        correlation_id: "pr2-ec26c3e-ab12",
        trigger: "comment",
      },
    };
    const first = await runAction({
      workspace: ws,
      inputs: { command: "train", params: '{"epochs": 3}', "github-token": "ghs_secret" },
      event: { name: "workflow_dispatch", payload: dispatch },
      env: { ...env, ACTIONS_RUNTIME_TOKEN: "runtime-secret" },
      timeoutMs: 120_000,
    });
    expect(first.code, first.stderr).toBe(0);
    expect(first.outputs).toMatchObject({
      decision: "pass",
      "reason-code": "trained",
      "run-dir": ".modelship/runs/pr2-ec26c3e-ab12",
    });
    // The program under training never sees the Action's token or the runner's.
    expect(JSON.parse(first.outputs["metrics"] ?? "")).toEqual({
      accuracy: 0.95,
      loss: 0.12,
      resumed_from_epoch: 0,
      saw_token: 0,
    });
    const record = JSON.parse(
      await readFile(join(ws, ".modelship/runs/pr2-ec26c3e-ab12/run.json"), "utf8"),
    ) as {
      params: { epochs: number };
    };
    expect(record.params.epochs).toBe(3);
    expect(first.summary).toContain("it was empty when the run started");
    expect(await readdir(join(ws, ".modelship/checkpoints"))).toEqual([
      "epoch-001",
      "epoch-002",
      "epoch-003",
    ]);

    // A rerun (the cache restored .modelship/checkpoints) picks up where the first stopped.
    const second = await runAction({
      workspace: ws,
      inputs: { command: "train", params: '{"epochs": 5}', "run-dir": "runs/trained" },
      env: { ...env, GITHUB_RUN_ID: "7012" },
      timeoutMs: 120_000,
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.outputs["run-dir"]).toBe("runs/trained/gh-7012-1");
    expect(JSON.parse(second.outputs["metrics"] ?? "").resumed_from_epoch).toBe(3);
    expect(second.summary).toContain("3 checkpoint files were there when the run started");
  });

  it("streams the training program's output live into a log group where it cannot issue workflow commands", async () => {
    const ws = await trainWorkspace();
    // Prints over time, on stdout and stderr, and tries to speak to the runner itself.
    await writeFile(
      join(ws, "train.mjs"),
      `${TRAIN_SCRIPT}
const pause = () => new Promise((r) => setTimeout(r, 400));
console.log("step 1 of 3");
await pause();
console.error("step 2 of 3 (stderr)");
console.log("::set-output name=decision::fail");
console.log("::endgroup::");
await pause();
console.log("step 3 of 3", ["GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH"].filter((k) => k in process.env).join(",") || "no file commands");
`,
    );
    const run = await runAction({
      workspace: ws,
      inputs: { command: "train", params: '{"epochs": 2}', "run-id": "live", "github-token": "ghs_secret" },
      env,
      timeoutMs: 120_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs["decision"]).toBe("pass");
    const texts = run.lines.map((l) => l.text);
    const mask = texts.indexOf("::add-mask::ghs_secret");
    const group = texts.indexOf("::group::modelship: training run live");
    const stop = texts[group + 1] ?? "";
    expect(stop).toMatch(/^::stop-commands::[0-9a-f]{32}$/);
    const resume = texts.indexOf(`::${stop.slice("::stop-commands::".length)}::`);
    const end = texts.indexOf("::endgroup::", resume);
    expect([mask, group, resume, end].every((i) => i >= 0)).toBe(true);
    expect(mask).toBeLessThan(group);
    expect(resume).toBe(end - 1);
    // In order, inside the group, with commands switched off; the program has no file commands.
    expect(texts.slice(group + 2, resume)).toEqual([
      "step 1 of 3",
      "step 2 of 3 (stderr)",
      "::set-output name=decision::fail",
      "::endgroup::",
      "step 3 of 3 no file commands",
    ]);
    // Each line reached the job log as it was printed, not when the program ended.
    const at = (text: string) => run.lines.find((l) => l.text === text)?.atMs ?? Number.NaN;
    expect(at("step 3 of 3 no file commands") - at("step 1 of 3")).toBeGreaterThan(400);
  });

  it.each([
    ['{"epochs": 500}', "value-out-of-range"],
    ['{"learningRate": 0.1}', "unknown-parameter"],
    ['{"epochs": [1]}', "input-invalid"],
  ])("refuses params %s before training (%s)", async (params, code) => {
    const ws = await trainWorkspace();
    const run = await runAction({ workspace: ws, inputs: { command: "train", params }, env });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ decision: "error", "reason-code": code });
    await expect(readdir(join(ws, ".modelship", "runs"))).rejects.toThrow();
  });

  it("reports the trainer's own error code when training fails", async () => {
    const ws = await trainWorkspace();
    await writeFile(join(ws, "train.mjs"), "process.exit(3);\n");
    const run = await runAction({ workspace: ws, inputs: { command: "train" }, env, timeoutMs: 120_000 });
    expect(run.code).toBe(1);
    expect(run.outputs["decision"]).toBe("error");
    expect(run.outputs["reason-code"]).toMatch(/^train-command-/);
    expect(run.summary).toContain("Training failed");
  });

  it("says so when the built-in trainer cannot resume from checkpoints", async () => {
    const ws = await createWorkspace({ config: "model:\n  name: iris\n" });
    await mkdir(join(ws, ".modelship", "checkpoints"), { recursive: true });
    // No data: the built-in trainer stops early, but the note about checkpoints is still there.
    const run = await runAction({ workspace: ws, inputs: { command: "train" }, env, timeoutMs: 120_000 });
    expect(run.summary).toContain("The built-in trainer writes a checkpoint there after every epoch");
  });
});
