import { describe, expect, it } from "vitest";
import { readRunDir, toRunSummary } from "../../../adapters/run-dir/read-run-dir.ts";
import { ModelshipError } from "../../../core/errors.ts";

const RUNS = "test/fixtures/runs";

describe("readRunDir", () => {
  it("reads a built-in run: record, metrics, history and params", async () => {
    const run = await readRunDir(`${RUNS}/iris-candidate`);
    expect(run.record.runId).toBe("20261126-174233-9b8e7d");
    expect(run.metrics).toEqual({
      accuracy: 0.9667,
      f1: 0.9666,
      loss: 0.0934,
      precision: 0.9697,
      recall: 0.9667,
      auc: 0.9981,
    });
    expect(run.history?.epochs).toHaveLength(60);
    expect(run.history?.epochs[0]).toMatchObject({
      epoch: 1,
      loss: expect.any(Number),
      val_loss: expect.any(Number),
    });
    expect(run.params).toMatchObject({ learningRate: 0.005, layers: [{ units: 32 }] });
  });

  it("flattens DVC-style nested metrics and keeps Python's NaN/Infinity", async () => {
    const run = await readRunDir(`${RUNS}/dvc-nested`);
    expect(run.metrics).toEqual({
      "train.loss": 0.2113,
      "train.accuracy": 0.9167,
      "eval.loss": NaN,
      "eval.accuracy": 0.9,
      throughput: Infinity,
    });
    expect(run.history?.epochs.map((e) => e.val_loss)).toEqual([0.95, NaN, -Infinity]);
    expect(run.params).toEqual({
      model: { hidden: [64, 32], dropout: 0.2 },
      lr: 0.001,
      note: 'tag "x" with NaN inside',
    });
  });

  it("falls back to run.json for metrics and params when their files are absent", async () => {
    const run = await readRunDir(`${RUNS}/record-only`);
    expect(run.metrics).toEqual(run.record.metrics);
    expect(run.metrics.accuracy).toBe(0.9333);
    expect(run.params).toEqual(run.record.params);
    expect(run.history).toBeUndefined();
  });

  it.each([
    {
      dir: "missing-dir",
      code: "run-dir-missing",
      file: "missing-dir",
      line: undefined,
      column: undefined,
      message: /does not exist/,
    },
    {
      dir: "no-record",
      code: "run-record-missing",
      file: "no-record/run.json",
      line: undefined,
      column: undefined,
      message: /run\.json is missing/,
    },
    {
      dir: "broken-json",
      code: "run-file-invalid-json",
      file: "broken-json/run.json",
      line: 8,
      column: 24,
      message: /invalid JSON/,
    },
    {
      dir: "bad-schema",
      code: "run-record-invalid",
      file: "bad-schema/run.json",
      line: 6,
      column: 13,
      message: /^model\.task: /,
    },
    {
      dir: "bad-history",
      code: "run-history-invalid",
      file: "bad-history/history.json",
      line: 4,
      column: 15,
      message: /^epochs\.1\.epoch: /,
    },
  ])("$dir → $code at $file:$line:$column", async ({ dir, code, file, line, column, message }) => {
    const err = await readRunDir(`${RUNS}/${dir}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    const problem = (err as ModelshipError).problems[0];
    expect(problem?.code).toBe(code);
    expect(problem?.where).toEqual({
      file: `${RUNS}/${file}`,
      ...(line !== undefined ? { line } : {}),
      ...(column !== undefined ? { column } : {}),
    });
    expect(problem?.message).toMatch(message);
  });

  it("reports every schema problem, each with its field path", async () => {
    const err = (await readRunDir(`${RUNS}/bad-schema`).catch((e: unknown) => e)) as ModelshipError;
    expect(err.problems.map((p) => [p.message.split(":")[0], p.where?.line])).toEqual([
      ["model.task", 6],
      ["metrics.accuracy", 51],
    ]);
  });
});

describe("toRunSummary", () => {
  it("labels a run by its id unless a label is given", async () => {
    const run = await readRunDir(`${RUNS}/iris-baseline`);
    expect(toRunSummary(run).label).toBe("20261101-091502-3f2a1c");
    const s = toRunSummary(run, { label: "v1.2.0", runUrl: "https://github.com/acme/iris/actions/runs/1" });
    expect(s).toMatchObject({ label: "v1.2.0", runUrl: "https://github.com/acme/iris/actions/runs/1" });
    expect(s.history?.epochs).toHaveLength(40);
    expect(s.metrics.accuracy).toBe(0.9333);
  });
});
