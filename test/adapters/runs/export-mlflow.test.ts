import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exportMlflowFiles } from "../../../adapters/runs/export-mlflow-files.ts";
import { exportMlflowRest } from "../../../adapters/runs/export-mlflow-rest.ts";
import { indexRuns } from "../../../adapters/runs/index-runs.ts";
import { readRunDir } from "../../../adapters/run-dir/read-run-dir.ts";
import { splitLogBatches, toMlflowRun, type MlflowRun } from "../../../core/runs/to-mlflow-run.ts";
import { startFakeMlflow, type FakeMlflow } from "../../support/fake-mlflow/fake-mlflow.ts";
import { FIVE_RUNS, writeRuns } from "./run-workspace.ts";

let ws: string;
let runs: Array<{ run: MlflowRun; dir: string }>;
beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), "ms-mlflow-"));
  await writeRuns(ws, FIVE_RUNS);
  const index = await indexRuns({ workspace: ws });
  runs = [];
  for (const e of index.runs) {
    const dir = join(ws, e.path);
    runs.push({ run: toMlflowRun(e, (await readRunDir(dir)).history), dir });
  }
});
afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
});

const byName = (name: string) => runs.find((r) => r.run.runName === name)!;

describe("exportMlflowFiles", () => {
  it("writes MLflow's file-store layout", async () => {
    const root = join(ws, "mlruns");
    const out = await exportMlflowFiles({
      root,
      runs: runs.map((r) => ({ run: r.run, artifactsDir: r.dir })),
      now: new Date("2026-12-01T00:00:00Z"),
      userId: "tester",
    });
    expect(out.experiments).toEqual({ iris: "1" });
    expect((await readdir(root)).sort()).toEqual(["0", "1"]);
    expect(parse(await readFile(join(root, "0/meta.yaml"), "utf8"))).toMatchObject({
      experiment_id: "0",
      name: "Default",
      lifecycle_stage: "active",
    });
    const exp = parse(await readFile(join(root, "1/meta.yaml"), "utf8")) as Record<string, unknown>;
    expect(exp).toEqual({
      artifact_location: expect.stringMatching(/^file:\/\/.*\/mlruns\/1$/),
      creation_time: Date.parse("2026-12-01T00:00:00Z"),
      experiment_id: "1",
      last_update_time: Date.parse("2026-12-01T00:00:00Z"),
      lifecycle_stage: "active",
      name: "iris",
    });

    const r2 = byName("r2-wide").run;
    expect(r2.runId).toMatch(/^[0-9a-f]{32}$/);
    const runDir = join(root, "1", r2.runId);
    expect((await readdir(runDir)).sort()).toEqual(["artifacts", "meta.yaml", "metrics", "params", "tags"]);
    expect(parse(await readFile(join(runDir, "meta.yaml"), "utf8"))).toEqual({
      artifact_uri: expect.stringMatching(new RegExp(`/mlruns/1/${r2.runId}/artifacts$`)),
      end_time: Date.parse("2026-11-21T10:00:20.000Z"),
      entry_point_name: "",
      experiment_id: "1",
      lifecycle_stage: "active",
      run_id: r2.runId,
      run_name: "r2-wide",
      run_uuid: r2.runId,
      source_name: "",
      source_type: 4,
      source_version: "",
      start_time: Date.parse("2026-11-21T10:00:00.000Z"),
      status: 3,
      tags: [],
      user_id: "tester",
    });
    expect(await readFile(join(runDir, "params/learningRate"), "utf8")).toBe("0.01");
    expect(await readFile(join(runDir, "params/optimizer"), "utf8")).toBe("sgd");
    expect(await readFile(join(runDir, "params/layers.0.units"), "utf8")).toBe("32");
    expect(await readFile(join(runDir, "tags/mlflow.source.git.branch"), "utf8")).toBe("wider-hidden-layer");
    expect(await readFile(join(runDir, "tags/modelship.runId"), "utf8")).toBe("r2-wide");

    // Per-epoch history: one line per epoch `<timestamp_ms> <value> <step>`, steps 1..N, times within the run.
    const history = (await readRunDir(byName("r2-wide").dir)).history!.epochs;
    const valLoss = (await readFile(join(runDir, "metrics/val_loss"), "utf8")).trimEnd().split("\n");
    expect(valLoss).toHaveLength(history.length);
    const parsed = valLoss.map((l) => l.split(" ").map(Number));
    expect(parsed.map((p) => p[2])).toEqual(history.map((e) => e.epoch));
    expect(parsed.map((p) => p[1])).toEqual(history.map((e) => e.val_loss));
    expect(parsed[0]![0]).toBeGreaterThanOrEqual(Date.parse("2026-11-21T10:00:00.000Z"));
    expect(parsed.at(-1)![0]).toBe(Date.parse("2026-11-21T10:00:20.000Z"));
    // A final metric that is also a history column comes last, at the end time: MLflow's latest value.
    const accuracy = (await readFile(join(runDir, "metrics/accuracy"), "utf8")).trimEnd().split("\n");
    expect(accuracy).toHaveLength(history.length + 1);
    expect(accuracy.at(-1)).toBe(`${Date.parse("2026-11-21T10:00:20.000Z")} 0.95 ${history.at(-1)!.epoch}`);
    expect(await readFile(join(runDir, "artifacts/MODEL_CARD.md"), "utf8")).toBe("# r2-wide\n");

    // The failed run is FAILED (4).
    const r3 = byName("r3-fast").run;
    expect(parse(await readFile(join(root, "1", r3.runId, "meta.yaml"), "utf8"))).toMatchObject({
      status: 4,
    });
  });

  it("reuses experiments by name and replaces a run exported again", async () => {
    const root = join(ws, "mlruns-again");
    const first = await exportMlflowFiles({
      root,
      runs: runs.map((r) => ({ run: r.run })),
      now: new Date(0),
      userId: "u",
    });
    const second = await exportMlflowFiles({
      root,
      runs: [{ run: byName("r1-baseline").run }],
      now: new Date(0),
      userId: "u",
    });
    expect(second.experiments).toEqual(first.experiments);
    expect(second.runs[0]!.runId).toBe(byName("r1-baseline").run.runId);
    expect((await readdir(join(root, "1"))).filter((n) => n !== "meta.yaml")).toHaveLength(runs.length);
  });
});

describe("toMlflowRun", () => {
  it("leaves out names MLflow refuses instead of writing outside the run folder", () => {
    const run = toMlflowRun(
      {
        id: "x",
        source: "local",
        path: "p",
        status: "succeeded",
        model: "m",
        task: "regression",
        trainer: "command",
        startedAt: "2026-01-01T00:00:00Z",
        finishedAt: "2026-01-01T00:00:01Z",
        durationMs: 1000,
        metrics: { "../escape": 1, "a/b": 2, "ok name": 3, "bad*": 4 },
        params: { "/abs": 1 },
        tags: {},
      },
      undefined,
    );
    expect(run.skippedKeys.sort()).toEqual(["../escape", "/abs", "bad*"]);
    expect(run.metrics.map((m) => m.key)).toEqual(["a/b", "ok name"]);
  });

  it("splits log-batch requests within MLflow's limits", () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: `m${i % 7}`,
      value: i,
      timestamp: 1,
      step: i,
    }));
    const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 30 }, (_, i) => ({ key: `t${i}`, value: "v" }));
    const batches = splitLogBatches({ metrics, params, tags });
    for (const b of batches) {
      expect(b.metrics.length).toBeLessThanOrEqual(1000);
      expect(b.params.length).toBeLessThanOrEqual(100);
      expect(b.tags.length).toBeLessThanOrEqual(100);
      expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(1000);
    }
    expect(batches.flatMap((b) => b.metrics)).toEqual(metrics);
    expect(batches.flatMap((b) => b.params)).toEqual(params);
    expect(batches.flatMap((b) => b.tags)).toEqual(tags);
  });
});

describe("exportMlflowRest", () => {
  let fake: FakeMlflow;
  beforeEach(async () => {
    fake = await startFakeMlflow();
  });
  afterEach(async () => {
    await fake.close();
  });

  it("creates the experiment, logs every run in valid batches and finishes it; a second export finds them", async () => {
    const selected = [byName("r1-baseline").run, byName("r3-fast").run];
    const logged = await exportMlflowRest(selected, {
      uri: `${fake.url}/`,
      headers: { authorization: "Bearer t0k" },
    });
    expect(logged.map((r) => [r.runName, r.outcome, r.experimentId])).toEqual([
      ["r1-baseline", "logged", "100"],
      ["r3-fast", "logged", "100"],
    ]);
    expect(fake.calls.every((c) => c.status === 200 || c.path === "experiments/get-by-name")).toBe(true);
    expect(fake.calls.map((c) => c.path).slice(0, 4)).toEqual([
      "experiments/get-by-name",
      "experiments/create",
      "runs/search",
      "runs/create",
    ]);
    expect(fake.calls.every((c) => c.authorization === "Bearer t0k")).toBe(true);
    const stored = fake.runs.get(logged[0]!.runId)!;
    expect(stored).toMatchObject({
      status: "FINISHED",
      runName: "r1-baseline",
      endTime: Date.parse("2026-11-20T10:00:20.000Z"),
    });
    expect(stored.params).toMatchObject({ learningRate: "0.01", "layers.0.units": "32" });
    expect(stored.tags).toMatchObject({ "modelship.runId": "r1-baseline", "mlflow.runName": "r1-baseline" });
    expect(stored.metrics).toHaveLength(byName("r1-baseline").run.metrics.length);
    expect(fake.runs.get(logged[1]!.runId)!.status).toBe("FAILED");

    const again = await exportMlflowRest(selected, { uri: fake.url });
    expect(again.map((r) => r.outcome)).toEqual(["exists", "exists"]);
    expect(fake.runs.size).toBe(2);
  });

  it("uploads a new run's files through the artifact proxy, byte for byte; a run logged before uploads none", async () => {
    const { run, dir } = byName("r1-baseline");
    const artifactsDir = (r: MlflowRun) => (r === run ? dir : undefined);
    const [logged] = await exportMlflowRest([run], { uri: fake.url, artifactsDir });
    const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => relative(dir, join(d.parentPath, d.name)).split(sep).join("/"))
      .sort();
    expect(files.length).toBeGreaterThan(2);
    expect(logged!.artifacts).toEqual({ uploaded: files.length });
    const root = `${logged!.experimentId}/${logged!.runId}/artifacts`;
    expect([...fake.artifacts.keys()].sort()).toEqual(files.map((f) => `${root}/${f}`));
    for (const f of files) expect(fake.artifacts.get(`${root}/${f}`)).toEqual(await readFile(join(dir, f)));
    const puts = fake.calls.filter((c) => c.method === "PUT");
    expect(
      puts.every((c) => c.status === 200 && c.path.startsWith(`mlflow-artifacts/artifacts/${root}/`)),
    ).toBe(true);
    // The run is finished after its artifacts are in.
    expect(fake.calls.at(-1)?.path).toBe("runs/update");

    const [again] = await exportMlflowRest([run], { uri: fake.url, artifactsDir });
    expect(again).toMatchObject({ outcome: "exists", artifacts: { uploaded: 0 } });
    expect(fake.calls.filter((c) => c.method === "PUT")).toHaveLength(files.length);
  });

  it("says why when the server keeps artifacts where it does not proxy them", async () => {
    const s3 = await startFakeMlflow({ artifactUri: (e, r) => `s3://bucket/mlruns/${e}/${r}/artifacts` });
    try {
      const { run, dir } = byName("r1-baseline");
      const [logged] = await exportMlflowRest([run], { uri: s3.url, artifactsDir: () => dir });
      expect(logged).toMatchObject({ outcome: "logged", artifacts: { uploaded: 0 } });
      expect(logged!.artifacts.skipped).toContain("s3://bucket/mlruns/");
      expect(logged!.artifacts.skipped).toContain("--serve-artifacts");
      expect(s3.calls.filter((c) => c.method === "PUT")).toEqual([]);
      expect(s3.runs.get(logged!.runId)?.status).toBe("FINISHED");
    } finally {
      await s3.close();
    }
  });

  it("sends non-finite metric values the way proto3 JSON spells them", async () => {
    const run = {
      ...byName("r1-baseline").run,
      metrics: [{ key: "loss", value: Number.NaN, timestamp: 5, step: 1 }],
    };
    await exportMlflowRest([run], { uri: fake.url });
    expect(fake.runs.values().next().value!.metrics).toEqual([
      { key: "loss", value: "NaN", timestamp: 5, step: 1 },
    ]);
  });

  it("the fake rejects what MLflow rejects (over the batch limit, unknown fields)", async () => {
    await exportMlflowRest([byName("r1-baseline").run], { uri: fake.url });
    const runId = [...fake.runs.keys()][0]!;
    const post = (path: string, body: unknown) =>
      fetch(`${fake.url}/api/2.0/mlflow/${path}`, { method: "POST", body: JSON.stringify(body) }).then(
        async (r) => ({ status: r.status, json: (await r.json()) as { error_code: string } }),
      );
    const many = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: "1" }));
    expect(await post("runs/log-batch", { run_id: runId, params: many })).toMatchObject({
      status: 400,
      json: { error_code: "INVALID_PARAMETER_VALUE" },
    });
    expect(await post("runs/update", { run_id: runId, state: "FINISHED" })).toMatchObject({ status: 400 });
    expect(
      await post("runs/log-batch", { run_id: runId, params: [{ key: "learningRate", value: "9" }] }),
    ).toMatchObject({ status: 400 });
  });

  it("reports an unreachable server and a refused request with their reason codes", async () => {
    await expect(
      exportMlflowRest([byName("r1-baseline").run], { uri: "http://127.0.0.1:1" }),
    ).rejects.toMatchObject({ code: "mlflow-unreachable" });
    const failing: typeof fetch = () =>
      Promise.resolve(
        new Response(JSON.stringify({ error_code: "PERMISSION_DENIED", message: "no" }), { status: 403 }),
      );
    await expect(
      exportMlflowRest([byName("r1-baseline").run], { uri: fake.url, fetch: failing }),
    ).rejects.toMatchObject({
      code: "mlflow-request-failed",
      message: expect.stringContaining("MLFLOW_TRACKING_TOKEN"),
    });
  });
});
