import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import type { RunEntry } from "../../core/runs/run-entry.ts";
import { FIVE_RUNS, writeRuns } from "../adapters/runs/run-workspace.ts";
import { CLASSIFIER_WEIGHTS, linearClassifierModel } from "../fixtures/onnx/make-models.ts";
import { makeConfigRepo } from "./config-repo.ts";
import { runCli } from "./run-cli.ts";
import { startFakeMlflow } from "../support/fake-mlflow/fake-mlflow.ts";

const CONFIG = `model: { name: iris, task: classification, target: species }
metrics:
  primary: accuracy
  gates:
    loss: { direction: minimize }
`;

let repo: string;
beforeAll(async () => {
  repo = await makeConfigRepo({ config: CONFIG, prefix: "ms-cli-runs-" });
  await writeRuns(repo, FIVE_RUNS);
  // r1-baseline becomes a registered version: gc must never delete it.
  const r1 = join(repo, ".modelship/runs/r1-baseline");
  await mkdir(join(r1, "model"), { recursive: true });
  await writeFile(
    join(r1, "model/model.onnx"),
    Buffer.from(linearClassifierModel(CLASSIFIER_WEIGHTS.w, CLASSIFIER_WEIGHTS.b)),
  );
  const registry = await openGitRegistry({ repoDir: repo, tagFormat: "model/{name}/v{version}" });
  await registry.register({ runDir: r1, name: "iris", bump: "minor", now: new Date("2026-11-25T00:00:00Z") });
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(["runs", ...args], { cwd: repo });

describe("modelship runs", () => {
  it("list filters, sorts and limits with MLflow's syntax; --json is { runs, unreadable }", async () => {
    const res = await cli(
      "list",
      "--filter",
      "metrics.accuracy > 0.9 and params.learningRate < 0.05",
      "--sort",
      "-metrics.accuracy",
      "--limit",
      "2",
      "--json",
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { runs: RunEntry[]; unreadable: unknown[] };
    expect(out.runs.map((r) => r.id)).toEqual(["ci-4242", "r2-wide"]);
    expect(out.runs[0]).toMatchObject({
      source: "pulled",
      path: ".modelship/runs/pulled/ci-4242",
      metrics: { accuracy: 0.97 },
      params: { learningRate: 0.002 },
    });
    expect(out.unreadable).toEqual([]);

    const text = await cli("list", "--filter", "attributes.status = 'failed'");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^run\s+status\s+source\s+started\s+metrics\nr3-fast\s+failed\s+local\s+2026-11-22 10:00:00\s+accuracy=0\.8000 loss=0\.5000\n$/,
    );
  });

  it("a wrong filter exits 2 and points at the column", async () => {
    const res = await cli("list", "--filter", "metrics.accuracy > high");
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--filter:1:20: expected a number or a quoted string, found 'high'");
    expect(res.stderr).toContain("metrics.accuracy > high\n                     ^");
    expect(res.stdout).toBe("");
  });

  it("show prints one run with its per-epoch history", async () => {
    const res = await cli("show", "study-a", "--json");
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { run: RunEntry; history: Array<{ epoch: number }> };
    expect(out.run).toMatchObject({ id: "study-a-t01", path: ".modelship/runs/study-a/study-a-t01" });
    expect(out.history.length).toBeGreaterThan(10);
    expect(out.history[0]).toMatchObject({ epoch: 1 });
  });

  it("compare lays several runs side by side and marks the best values", async () => {
    const md = await cli("compare", "r1-baseline", "r2-wide", "ci-4242", "--format", "markdown");
    expect(md.code).toBe(0);
    expect(md.stdout.split("\n").slice(0, 5)).toEqual([
      "| Run | accuracy ↑ | loss ↓ | learningRate | optimizer |",
      "| --- | --- | --- | --- | --- |",
      "| `r1-baseline` | 0.9000 | 0.3000 | 0.01 | adam |",
      "| `r2-wide` | 0.9500 | 0.2000 | 0.01 | sgd |",
      "| `ci-4242` | **0.9700** | **0.1000** | 0.002 | adam |",
    ]);
    expect(md.stdout).toContain("Same in every run: `batchSize=16`");
  });

  it("export --mlflow writes the file store", async () => {
    const res = await cli(
      "export",
      "--mlflow",
      "mlruns",
      "--filter",
      "attributes.source = 'local'",
      "--json",
    );
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { experiments: Record<string, string>; runs: unknown[] };
    expect(out.experiments).toEqual({ iris: "1" });
    expect(out.runs).toHaveLength(4);
    expect((await readdir(join(repo, "mlruns/1"))).length).toBe(5);
  });

  it("export --mlflow-uri logs each run and uploads its files (none with --no-artifacts)", async () => {
    const fake = await startFakeMlflow();
    try {
      const r1 = ["--filter", "attributes.run_id = 'r1-baseline'", "--json"];
      const res = await cli("export", "--mlflow-uri", fake.url, ...r1);
      expect(res.code, res.stderr).toBe(0);
      const [logged] = (JSON.parse(res.stdout) as { runs: { runId: string; artifacts: unknown }[] }).runs;
      const files = [...fake.artifacts.keys()];
      expect(logged?.artifacts).toEqual({ uploaded: files.length });
      expect(files).toContain(`100/${logged!.runId}/artifacts/model/model.onnx`);
      expect(files).toContain(`100/${logged!.runId}/artifacts/metrics.json`);

      const bare = await startFakeMlflow();
      try {
        const res2 = await cli("export", "--mlflow-uri", bare.url, "--no-artifacts", ...r1);
        expect(res2.code, res2.stderr).toBe(0);
        expect(bare.runs.size).toBe(1);
        expect(bare.artifacts.size).toBe(0);
      } finally {
        await bare.close();
      }
    } finally {
      await fake.close();
    }
  });

  it("gc keeps the newest N and every registered run", async () => {
    const dry = await cli("gc", "--keep", "1", "--dry-run", "--json");
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as {
      keep: Array<{ id: string; reason: string }>;
      remove: Array<{ id: string }>;
      dryRun: boolean;
    };
    expect(plan.keep).toEqual([
      expect.objectContaining({ id: "ci-4242", reason: "recent" }),
      expect.objectContaining({ id: "r1-baseline", reason: "registered" }),
    ]);
    expect(plan.remove.map((r) => r.id)).toEqual(["study-a-t01", "r3-fast", "r2-wide"]);
    expect(await stat(join(repo, ".modelship/runs/r2-wide")).then(() => true)).toBe(true);

    const real = await cli("gc", "--keep", "1");
    expect(real.code).toBe(0);
    expect(real.stdout).toContain("deleted .modelship/runs/r2-wide");
    const left = JSON.parse((await cli("list", "--json")).stdout) as { runs: RunEntry[] };
    expect(left.runs.map((r) => r.id)).toEqual(["ci-4242", "r1-baseline"]);
  });
});
