import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigSchema, type ConfigInput } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { HistorySchema, RUN_FILES, RunRecordSchema } from "../../../core/run/run-record.ts";
import { runOnnx } from "../../../runners/train/check-parity.ts";
import { trainRun } from "../../../runners/train/train-run.ts";

const repoDir = join(import.meta.dirname, "../../..");
let runsDir: string;
beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), "modelship-cmd-"));
});
afterEach(async () => {
  await rm(runsDir, { recursive: true, force: true });
});

async function exampleConfig() {
  return ConfigSchema.parse(
    parse(await readFile(join(repoDir, "examples/command-trainer/modelship.yml"), "utf8")) as ConfigInput,
  );
}

function withCommand(command: string) {
  return ConfigSchema.parse({ model: { task: "regression", target: "y" }, train: { command } });
}

describe("trainRun with train.command", () => {
  it("runs the example program and collects nested metrics, history and its ONNX model", async () => {
    const { runDir, record } = await trainRun({
      config: await exampleConfig(),
      repoDir,
      runsDir,
      runId: "cmd-1",
      params: { epochs: 30 },
      progress: "silent",
    });
    expect(record).toMatchObject({
      trainer: "command",
      backend: "external",
      command: "node examples/command-trainer/train.mjs",
      status: "succeeded",
    });
    expect(Object.keys(record.metrics).sort()).toEqual(["train.rmse", "validation.r2", "validation.rmse"]);
    expect(record.params).toMatchObject({ epochs: 30, learningRate: 0.01 });
    expect(record.data.files[0]).toMatchObject({ path: "examples/command-trainer/data.csv", rows: 60 });
    expect(record.signature).toEqual({
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 2] }],
      outputs: [{ name: "prediction", datatype: "FP32", shape: [-1, 1] }],
    });
    RunRecordSchema.parse(JSON.parse(await readFile(join(runDir, RUN_FILES.record), "utf8")));
    expect(JSON.parse(await readFile(join(runDir, RUN_FILES.metrics), "utf8"))).toEqual(record.metrics);
    const history = HistorySchema.parse(JSON.parse(await readFile(join(runDir, RUN_FILES.history), "utf8")));
    expect(history.epochs).toHaveLength(30);
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss!);
    // The program's scratch folder is not part of the run; its learning curves are drawn.
    expect((await readdir(runDir)).sort()).toEqual([
      "MODEL_CARD.md",
      "history.json",
      "metrics.json",
      "model",
      "params.json",
      "plots",
      "run.json",
    ]);
    const out = await runOnnx(
      new Uint8Array(await readFile(join(runDir, RUN_FILES.model))),
      new Float32Array([1, 1]),
      1,
      2,
    );
    expect(out).toHaveLength(1);
  });

  it("passes MODELSHIP_RUN_ID and MODELSHIP_PARAMS and runs in the repository root", async () => {
    const made = await trainRun({
      config: await exampleConfig(),
      repoDir,
      runsDir,
      runId: "make-model",
      params: { epochs: 5 },
      progress: "silent",
    });
    const script = [
      'const fs = require("fs"), out = process.env.MODELSHIP_OUTPUT_DIR;',
      "const p = JSON.parse(process.env.MODELSHIP_PARAMS);",
      'const inRepo = fs.existsSync("examples/command-trainer/train.mjs") ? 1 : 0;',
      'fs.writeFileSync(out + "/metrics.json", JSON.stringify({ epochs: p.epochs, in_repo: inRepo, id_len: process.env.MODELSHIP_RUN_ID.length }));',
      `fs.copyFileSync(${JSON.stringify(join(made.runDir, RUN_FILES.model))}, out + "/model.onnx");`,
    ].join(" ");
    const { record } = await trainRun({
      config: withCommand(`node -e '${script}'`),
      repoDir,
      runsDir,
      runId: "env-check",
      params: { epochs: 7 },
      progress: "silent",
    });
    expect(record.metrics).toEqual({ epochs: 7, in_repo: 1, id_len: "env-check".length });
    expect(record.data).toEqual({ fingerprint: "", files: [] });
  });

  it.each([
    [
      "a non-zero exit",
      "echo starting; echo 'CUDA out of memory' >&2; exit 3",
      "train-command-failed",
      /exited with code 3[\s\S]*CUDA out of memory/,
    ],
    ["no metrics file", "true", "train-command-no-metrics", /\$MODELSHIP_OUTPUT_DIR\/metrics\.json/],
    [
      "invalid metrics JSON",
      `echo '{"rmse": 1,' > "$MODELSHIP_OUTPUT_DIR/metrics.json"`,
      "metrics-invalid-json",
      /not valid JSON/,
    ],
    [
      "no model file",
      `echo '{"rmse": 1}' > "$MODELSHIP_OUTPUT_DIR/metrics.json"`,
      "train-command-no-model",
      /wrote no model/,
    ],
    [
      "a model that is not ONNX",
      `echo '{"rmse": 1}' > "$MODELSHIP_OUTPUT_DIR/metrics.json"; echo nope > "$MODELSHIP_OUTPUT_DIR/model.onnx"`,
      "train-command-bad-model",
      /not a loadable ONNX model/,
    ],
  ])("fails clearly on %s and leaves no run directory", async (_name, command, code, message) => {
    const err = await trainRun({
      config: withCommand(command),
      repoDir,
      runsDir,
      runId: "x",
      progress: "silent",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe(code);
    expect((err as ModelshipError).message).toMatch(message);
    expect(await readdir(runsDir)).toEqual([]);
  });

  it("stops a program that runs past train.timeoutMinutes", async () => {
    const config = ConfigSchema.parse({
      model: { target: "y" },
      train: { command: "sleep 30", timeoutMinutes: 0.005 },
    });
    const started = Date.now();
    const err = await trainRun({ config, repoDir, runsDir, runId: "slow", progress: "silent" }).catch(
      (e: unknown) => e,
    );
    expect((err as ModelshipError).code).toBe("train-command-timeout");
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
