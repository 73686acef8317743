import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigSchema, type ConfigInput } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { parsePreprocessor } from "../../../core/features/preprocessor.ts";
import { HistorySchema, RUN_FILES, RunRecordSchema } from "../../../core/run/run-record.ts";
import { runOnnx } from "../../../runners/train/check-parity.ts";
import { trainRun } from "../../../runners/train/train-run.ts";
import { parse } from "yaml";

const repoDir = join(import.meta.dirname, "../../..");
let runsDir: string;
beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), "modelship-train-"));
});
afterEach(async () => {
  await rm(runsDir, { recursive: true, force: true });
});

const fixedNow = () => new Date("2026-01-02T03:04:05.000Z");

async function penguins(overrides: Record<string, unknown> = {}) {
  const raw = parse(await readFile(join(repoDir, "examples/penguins/modelship.yml"), "utf8")) as ConfigInput;
  return ConfigSchema.parse({
    ...raw,
    train: { ...raw.train, params: { ...raw.train?.params, epochs: 25, ...overrides } },
  });
}

async function errorOf(p: Promise<unknown>): Promise<ModelshipError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelshipError);
  return err as ModelshipError;
}

describe("trainRun with the built-in trainer", () => {
  it("trains the penguins example and writes a complete, valid run directory", async () => {
    const { runDir, record } = await trainRun({
      config: await penguins(),
      repoDir,
      runsDir,
      runId: "penguins-1",
      progress: "silent",
      now: fixedNow,
    });
    expect(runDir).toBe(join(runsDir, "penguins-1"));
    expect((await readdir(runsDir)).sort()).toEqual(["penguins-1"]);
    const files = [
      RUN_FILES.record,
      RUN_FILES.metrics,
      RUN_FILES.history,
      RUN_FILES.params,
      RUN_FILES.model,
      RUN_FILES.preprocess,
      RUN_FILES.card,
    ];
    for (const f of files) await expect(readFile(join(runDir, f))).resolves.toBeTruthy();

    const onDisk = RunRecordSchema.parse(JSON.parse(await readFile(join(runDir, RUN_FILES.record), "utf8")));
    expect(onDisk).toEqual(record);
    expect(record).toMatchObject({
      trainer: "builtin",
      backend: "wasm",
      status: "succeeded",
      startedAt: "2026-01-02T03:04:05.000Z",
    });
    expect(record.data.rows).toBe(344);
    expect(record.data.files[0]).toMatchObject({ path: "examples/penguins/data/penguins.json", rows: 344 });
    expect(record.metrics.accuracy).toBeGreaterThan(0.9);
    expect(Object.keys(record.metrics).sort()).toEqual([
      "accuracy",
      "f1_macro",
      "log_loss",
      "train_loss",
      "val_loss",
    ]);
    expect(record.parity).toMatchObject({ rows: 69, ok: true, rtol: 1e-4, atol: 1e-5, mismatches: 0 });
    expect(record.signature?.labels).toEqual(["adelie", "chinstrap", "gentoo"]);
    expect(record.signature?.inputs.map((i) => `${i.name}:${i.datatype}`)).toEqual([
      "bill_length_mm:FP32",
      "bill_depth_mm:FP32",
      "flipper_length_mm:FP32",
      "body_mass_g:FP32",
      "island:BYTES",
      "sex:BYTES",
    ]);
    expect(record.params).toMatchObject({ epochs: 25, optimizer: "adam" });

    const metrics = JSON.parse(await readFile(join(runDir, RUN_FILES.metrics), "utf8")) as Record<
      string,
      number
    >;
    expect(metrics).toEqual(record.metrics);
    const history = HistorySchema.parse(JSON.parse(await readFile(join(runDir, RUN_FILES.history), "utf8")));
    expect(history.epochs.length).toBe(record.training?.epochs);
    expect(record.training!.bestEpoch).toBeLessThanOrEqual(record.training!.epochs);
    expect(Object.keys(record.timings)).toEqual([
      "backendMs",
      "loadMs",
      "preprocessMs",
      "fitMs",
      "evaluateMs",
      "exportMs",
      "parityMs",
    ]);
    expect(Object.keys(history.epochs[0]!)).toEqual([
      "epoch",
      "loss",
      "accuracy",
      "val_loss",
      "val_accuracy",
    ]);

    const prep = parsePreprocessor(
      JSON.parse(await readFile(join(runDir, RUN_FILES.preprocess), "utf8")),
      "preprocess.json",
    );
    expect(prep.hash).toBe(record.preprocessHash);
    const card = await readFile(join(runDir, RUN_FILES.card), "utf8");
    expect(card).toContain("penguins");
    // Real validation rows, raw features only, for deploy smoke requests.
    const reference = JSON.parse(await readFile(join(runDir, "model/reference-rows.json"), "utf8")) as {
      rows: Array<Record<string, unknown>>;
    };
    expect(reference.rows).toHaveLength(20);
    expect(Object.keys(reference.rows[0]!)).toEqual(record.signature?.inputs.map((i) => i.name));

    // The saved model answers on its own: one standardized Gentoo-like row.
    const model = new Uint8Array(await readFile(join(runDir, RUN_FILES.model)));
    const out = await runOnnx(model, new Float32Array(prep.outputWidth), 1, prep.outputWidth);
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it("trains a regression model from CSV and reports rmse, mae and r2", async () => {
    const config = ConfigSchema.parse({
      model: { name: "reg", task: "regression", target: "y" },
      data: {
        source: ["test/fixtures/data/regression.csv"],
        transforms: [
          { op: "standardize", column: "x1" },
          { op: "standardize", column: "x2" },
          { op: "onehot", column: "zone" },
        ],
      },
      train: { params: { layers: [{ units: 16 }], epochs: 40, learningRate: 0.03, batchSize: 16 } },
    });
    const { record } = await trainRun({ config, repoDir, runsDir, runId: "reg", progress: "silent" });
    expect(Object.keys(record.metrics).sort()).toEqual([
      "mae",
      "mse",
      "r2",
      "rmse",
      "train_loss",
      "val_loss",
    ]);
    expect(record.metrics.r2).toBeGreaterThan(0.8);
    expect(record.signature?.outputs).toEqual([{ name: "prediction", datatype: "FP32", shape: [-1, 1] }]);
    expect(record.parity?.ok).toBe(true);
  });

  it("keeps a run whose ONNX parity fails, marks it failed, and throws", async () => {
    const err = await errorOf(
      trainRun({
        config: await penguins({ epochs: 2 }),
        repoDir,
        runsDir,
        runId: "bad",
        progress: "silent",
        // A bound nothing can meet: every element is a mismatch.
        parity: { rtol: 0, atol: -1 },
      }),
    );
    expect(err.code).toBe("onnx-parity-failed");
    expect(err.message).toMatch(
      /on 207 element\(s\) of 69 held-out rows .*worst: validation row \d+, output \d: onnx [\d.e-]+, tfjs [\d.e-]+/,
    );
    expect(err.message).toContain(join(runsDir, "bad"));
    const record = RunRecordSchema.parse(
      JSON.parse(await readFile(join(runsDir, "bad", RUN_FILES.record), "utf8")),
    );
    expect(record.status).toBe("failed");
    expect(record.parity?.ok).toBe(false);
  });

  it.each([
    ["an unknown parameter", { params: { epochz: 3 } }, "params-invalid", /unknown parameter 'epochz'/],
    [
      "an out-of-range parameter",
      { params: { learningRate: -1 } },
      "params-invalid",
      /train\.params\.learningRate/,
    ],
    [
      "a feature not in the data",
      { config: { model: { features: ["wingspan"] } } },
      "feature-not-in-data",
      /wingspan/,
    ],
    ["a bad run id", { runId: "../escape" }, "run-id-invalid", /run id/],
  ])("rejects %s and leaves nothing behind", async (_name, change, code, message) => {
    const base = await penguins({ epochs: 1 });
    const c = change as {
      params?: Record<string, unknown>;
      config?: { model: { features: string[] } };
      runId?: string;
    };
    const config = c.config ? { ...base, model: { ...base.model, ...c.config.model } } : base;
    const err = await errorOf(
      trainRun({
        config,
        repoDir,
        runsDir,
        runId: c.runId ?? "r",
        progress: "silent",
        ...(c.params ? { params: c.params } : {}),
      }),
    );
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(await readdir(runsDir)).toEqual([]);
  });

  it("refuses an existing run id before training, in a fraction of the training time", async () => {
    const config = await penguins({ epochs: 1 });
    const t0 = performance.now();
    await trainRun({ config, repoDir, runsDir, runId: "same", progress: "silent" });
    const trainMs = performance.now() - t0;
    const t1 = performance.now();
    const err = await errorOf(trainRun({ config, repoDir, runsDir, runId: "same", progress: "silent" }));
    const refuseMs = performance.now() - t1;
    expect(err.code).toBe("run-exists");
    expect(err.message).toMatch(/already exists; nothing was trained/);
    expect(err.problems[0]?.hint).toMatch(/another --run-id.*or delete/);
    expect(refuseMs).toBeLessThan(trainMs / 5);
    expect(await readdir(runsDir)).toEqual(["same"]);
  });
});
