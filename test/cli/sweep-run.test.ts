import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { StudySchema, type Study } from "../../core/sweep/study.ts";
import { hyperbandBracket } from "../../core/sweep/prune-trial.ts";
import { suggestTrial } from "../../core/sweep/suggest-trial.ts";
import { penguinsSweepConfig } from "../support/penguins-sweep-config.ts";
import { BIN, runCli } from "./run-cli.ts";
import { descendantsOf, removeTestDir, runningAfter } from "./stop-cli.ts";

const PENGUINS = fileURLToPath(new URL("../../examples/penguins/data/penguins.json", import.meta.url));

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeTestDir));
});

async function repo(search: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ms-sweep-run-"));
  dirs.push(dir);
  await mkdir(join(dir, ".github"));
  await mkdir(join(dir, "data"));
  await cp(PENGUINS, join(dir, "data/penguins.json"));
  await writeFile(join(dir, ".github/modelship.yml"), penguinsSweepConfig(search));
  return dir;
}

async function readStudyFile(dir: string, name: string): Promise<Study | null> {
  try {
    return StudySchema.parse(
      JSON.parse(await readFile(join(dir, ".modelship/studies", name, "study.json"), "utf8")),
    );
  } catch {
    return null;
  }
}

describe("modelship sweep run", () => {
  it("stops a trial that hyperband does not promote, records it as pruned, and prints the JSON shape", async () => {
    const search = "    learningRate: { values: [0.05, 0.000001] }";
    const dir = await repo(search);
    // A study name whose first two trials share Hyperband's bracket 0 (rungs at epochs 1 and 3),
    // and a seed whose grid order is the good rate first: the second trial must stop at epoch 1.
    const name = Array.from({ length: 50 }, (_, i) => `hb${i}`).find((n) =>
      [0, 1].every((t) => hyperbandBracket(n, t, 4, { minResource: 1, reductionFactor: 3 }) === 0),
    )!;
    const space = { learningRate: { values: [0.05, 0.000001] } };
    const base = {
      schemaVersion: 1,
      name,
      sampler: "grid",
      pruner: "hyperband",
      gridPoints: 3,
      maxEpochs: 4,
      space,
      trials: [],
    } as const;
    const objective = {
      metric: "accuracy",
      direction: "maximize",
      intermediate: { metric: "val_accuracy", direction: "maximize" },
    } as const;
    const seed = [1, 2, 3, 4, 5, 6, 7, 8].find((s) => {
      const first = suggestTrial({ ...base, seed: s, objective, trials: [] }, { number: 0 });
      return first.ok && first.params.learningRate === 0.05;
    })!;

    const r = await runCli(
      [
        "sweep",
        "run",
        "--sampler",
        "grid",
        "--pruner",
        "hyperband",
        "--trials",
        "5",
        "--study",
        name,
        "--seed",
        String(seed),
        "--metric",
        "val_loss",
        "--json",
      ],
      { cwd: dir },
    );
    expect(r.stderr).not.toContain("Error");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["study", "best", "trials"]);
    expect(out.study).toBe(name);
    // The grid has 2 points: the study ends there even though 5 trials were asked for.
    expect(out.trials).toEqual([
      { number: 0, state: "complete", params: { learningRate: 0.05 }, value: expect.any(Number), epochs: 4 },
      { number: 1, state: "pruned", params: { learningRate: 0.000001 }, value: null, epochs: 1 },
    ]);
    expect(out.best).toEqual({
      trial: 0,
      params: { learningRate: 0.05 },
      value: (out.trials as { value: number }[])[0]!.value,
    });
    expect(r.stderr).toContain("trial 1 pruned at epoch 1");
    // Each trial is a normal run directory; the pruned one says where it stopped.
    const pruned = JSON.parse(await readFile(join(dir, `.modelship/runs/${name}-t001/run.json`), "utf8")) as {
      params: { learningRate: number };
      training: { epochs: number; prunedAtEpoch: number };
    };
    expect(pruned.params.learningRate).toBe(0.000001);
    expect(pruned.training).toMatchObject({ epochs: 1, prunedAtEpoch: 1 });
    // Trials draw no plots and measure no permutation importance (sweeps.md, "What a trial computes").
    for (const t of ["t000", "t001"]) {
      const files = await readdir(join(dir, `.modelship/runs/${name}-${t}`));
      expect(files).toEqual(expect.arrayContaining(["metrics.json", "history.json", "run.json"]));
      expect(files.filter((f) => f === "explanation.json" || f === "plots")).toEqual([]);
    }
    const study = await readStudyFile(dir, name);
    expect(study?.trials.map((t) => t.intermediate.length)).toEqual([4, 1]);
    expect(study?.objective).toEqual({
      metric: "val_loss",
      direction: "minimize",
      intermediate: { metric: "val_loss", direction: "minimize" },
    });
  }, 240_000);

  it("resumes a study whose process was killed mid-way, re-running the interrupted trials", async () => {
    const dir = await repo(
      "    learningRate: { min: 0.001, max: 0.1, log: true }\n    batchSize: { values: [32, 64] }",
    );
    const args = [
      BIN,
      "sweep",
      "run",
      "--sampler",
      "random",
      "--pruner",
      "none",
      "--trials",
      "4",
      "--parallel",
      "2",
      "--study",
      "crash",
      "--json",
    ];
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "ignore", "ignore"] });
    // Kill it as soon as one trial is done and another is running.
    let seen: Study | null = null;
    for (let i = 0; i < 600; i++) {
      seen = await readStudyFile(dir, "crash");
      if (
        seen &&
        seen.trials.some((t) => t.state === "complete") &&
        seen.trials.some((t) => t.state === "running")
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const trials = await descendantsOf(child.pid!);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("close", r));
    // Its trial workers see their channel close and exit: none keeps writing into the study.
    expect(trials.length).toBeGreaterThan(0);
    expect(await runningAfter(trials, 30_000)).toEqual([]);
    const before = await readStudyFile(dir, "crash");
    expect(before?.trials.some((t) => t.state === "running")).toBe(true);
    const interrupted = before!.trials.filter((t) => t.state === "running").map((t) => t.number);

    const r = await runCli(args.slice(1), { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("resuming study crash");
    const out = JSON.parse(r.stdout) as { trials: { number: number; state: string; params: unknown }[] };
    expect(out.trials.map((t) => [t.number, t.state])).toEqual([
      [0, "complete"],
      [1, "complete"],
      [2, "complete"],
      [3, "complete"],
    ]);
    const after = await readStudyFile(dir, "crash");
    // The interrupted trials kept their params and were started a second time.
    for (const n of interrupted) {
      expect(after!.trials[n]!.params).toEqual(before!.trials[n]!.params);
      expect(after!.trials[n]!.attempts).toBe(2);
    }
    // The lock is released.
    await expect(readFile(join(dir, ".modelship/studies/crash/lock"))).rejects.toThrow();
  }, 240_000);

  it("leaves a trial running (to resume) when the study is interrupted with SIGINT", async () => {
    const dir = await repo("    learningRate: { min: 0.001, max: 0.1, log: true }");
    const child = spawn(
      process.execPath,
      [BIN, "sweep", "run", "--trials", "1", "--study", "int", "--json"],
      {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; i < 600 && !stderr.includes("trial 0 started"); i++)
      await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGINT");
    const code = await new Promise((r) => child.once("close", r));
    expect(code).toBe(1);
    expect(stderr).toContain("[sweep-interrupted]");
    const study = await readStudyFile(dir, "int");
    expect(study?.trials.map((t) => [t.state, t.attempts])).toEqual([["running", 1]]);
  }, 240_000);

  it("plans matrix trials from a stored study and records their run directories back", async () => {
    const dir = await repo("    learningRate: { values: [0.05, 0.000001] }");
    const plan = await runCli(["sweep", "plan", "--study", "matrix", "--sampler", "grid", "--trials", "5"], {
      cwd: dir,
    });
    expect(plan.code).toBe(0);
    const trials = JSON.parse(plan.stdout) as { id: string; params: { learningRate: number } }[];
    // The grid holds 2 points: the plan stops there.
    expect(trials.map((t) => t.id)).toEqual(["t000", "t001"]);
    expect(new Set(trials.map((t) => t.params.learningRate))).toEqual(new Set([0.05, 0.000001]));
    const planned = await readStudyFile(dir, "matrix");
    expect(planned?.trials.map((t) => t.state)).toEqual(["running", "running"]);
    // Nothing left to plan while both points are taken.
    const again = await runCli(["sweep", "plan", "--study", "matrix", "--trials", "1"], { cwd: dir });
    expect(JSON.parse(again.stdout)).toEqual([]);

    // Train each trial as the matrix job would (run id ending with the trial id), then tell.
    const runs = join(dir, "artifacts");
    for (const t of trials) {
      const r = await runCli(
        [
          "train",
          "--runs-dir",
          runs,
          "--run-id",
          `sweep-7011-1-${t.id}`,
          "--set",
          `learningRate=${t.params.learningRate}`,
          "--no-progress",
        ],
        { cwd: dir },
      );
      expect(r.code).toBe(0);
    }
    await mkdir(join(runs, "not-a-trial"));
    const told = await runCli(["sweep", "tell", "--study", "matrix", "--runs-dir", runs, "--json"], {
      cwd: dir,
    });
    expect(told.code).toBe(0);
    const out = JSON.parse(told.stdout) as {
      best: { params: unknown };
      trials: { state: string; epochs: number }[];
    };
    expect(out.trials.map((t) => [t.state, t.epochs])).toEqual([
      ["complete", 4],
      ["complete", 4],
    ]);
    expect(out.best.params).toEqual({ learningRate: 0.05 });
    const stored = await readStudyFile(dir, "matrix");
    expect(stored?.trials.every((t) => t.intermediate.length === 4)).toBe(true);
  }, 240_000);

  it("refuses to continue a study with other settings, and bad options", async () => {
    const dir = await repo("    learningRate: { min: 0.001, max: 0.1, log: true }");
    const study: Study = {
      schemaVersion: 1,
      name: "s1",
      sampler: "random",
      pruner: "none",
      seed: 1,
      gridPoints: 3,
      objective: {
        metric: "accuracy",
        direction: "maximize",
        intermediate: { metric: "val_accuracy", direction: "maximize" },
      },
      maxEpochs: 4,
      space: { learningRate: { min: 0.001, max: 0.1, integer: false, log: true } },
      trials: [],
    };
    await mkdir(join(dir, ".modelship/studies/s1"), { recursive: true });
    await writeFile(join(dir, ".modelship/studies/s1/study.json"), JSON.stringify(study));
    const other = await runCli(["sweep", "run", "--study", "s1", "--sampler", "tpe"], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("[study-settings-differ]");
    expect(other.stderr).toContain("sampler differ");
    const bad = await runCli(["sweep", "run", "--pruner", "asha"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("[sweep-option-invalid]");
    await writeFile(join(dir, ".modelship/studies/s1/study.json"), "{ not json");
    const damaged = await runCli(["sweep", "run", "--study", "s1"], { cwd: dir });
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toContain("[study-file-invalid]");
    expect(await readFile(join(dir, ".modelship/studies/s1/study.json"), "utf8")).toBe("{ not json");
  }, 240_000);
});
