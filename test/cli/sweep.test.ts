import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { PruningCurves } from "../../core/sweep/matrix-pruning.ts";
import { runCli } from "./run-cli.ts";

const RUNS = fileURLToPath(new URL("../fixtures/runs/", import.meta.url));
const CONFIG = `model: { name: iris }
train:
  search:
    learningRate: { min: 0.001, max: 0.1, log: true }
    optimizer: { values: [adam, sgd] }
metrics:
  primary: accuracy
`;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function repo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ms-sweep-"));
  dirs.push(dir);
  await mkdir(join(dir, ".github"));
  await writeFile(join(dir, ".github/modelship.yml"), CONFIG);
  return dir;
}

describe("modelship sweep", () => {
  it("plan prints the trial matrix as one JSON line", async () => {
    const dir = await repo();
    const r = await runCli(["sweep", "plan", "--sampler", "grid", "--trials", "10"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const trials = JSON.parse(r.stdout) as { id: string; params: Record<string, unknown> }[];
    expect(trials.map((t) => t.id)).toEqual(["t01", "t02", "t03", "t04", "t05", "t06"]);
    expect(trials[0]).toEqual({ id: "t01", params: { learningRate: 0.001, optimizer: "adam" } });
    expect(r.stderr).toContain("6 trials (grid of 6 points) over learningRate, optimizer");
  });

  it("best ranks downloaded trial runs by metrics.primary", async () => {
    const dir = await repo();
    const trials = join(dir, "trials");
    await cp(join(RUNS, "iris-baseline"), join(trials, "modelship-run-sweep-99-t01"), { recursive: true });
    await cp(join(RUNS, "iris-candidate"), join(trials, "modelship-run-sweep-99-t02"), { recursive: true });
    const r = await runCli(["sweep", "best", "--runs-dir", trials, "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      metric: string;
      direction: string;
      best: { id: string; params: unknown };
    };
    expect(out).toMatchObject({ ok: true, metric: "accuracy", direction: "maximize", best: { id: "t02" } });
    expect(out.best.params).toEqual({ learningRate: 0.005, optimizer: "adam" });
  });

  it("plan --study --pruning-out writes the curves the trials prune with (null without a pruner)", async () => {
    const dir = await repo();
    const plan = (study: string, pruner: string) =>
      runCli(
        [
          "sweep",
          "plan",
          "--study",
          study,
          "--pruner",
          pruner,
          "--trials",
          "2",
          "--pruning-out",
          `${study}.json`,
        ],
        { cwd: dir },
      );
    const r = await plan("m", "median");
    expect(r.code, r.stderr).toBe(0);
    const trials = JSON.parse(r.stdout) as { id: string; number: number }[];
    expect(trials.map((t) => [t.id, t.number])).toEqual([
      ["t000", 0],
      ["t001", 1],
    ]);
    const curves = JSON.parse(await readFile(join(dir, "m.json"), "utf8")) as PruningCurves;
    expect(curves).toMatchObject({ study: "m", pruner: "median", trials: [], omitted: 0 });
    expect(r.stderr).toContain("pruning curves of 0 finished trial(s) written to m.json");
    const none = await plan("n", "none");
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(dir, "n.json"), "utf8"))).toBeNull();
  });

  it.each([
    [
      "a missing curves file",
      ["--prune-with", "nothing.json", "--trial-number", "1"],
      "[pruning-file-invalid]",
    ],
    ["curves that are not JSON", ["--prune-with", "bad.json", "--trial-number", "1"], "is not JSON"],
    ["curves of another shape", ["--prune-with", "other.json", "--trial-number", "1"], "schemaVersion"],
    ["curves without --trial-number", ["--prune-with", "other.json"], "[train-option-invalid]"],
    [
      "a trial number that is not one",
      ["--prune-with", "other.json", "--trial-number", "x"],
      "expected a trial number",
    ],
  ])("train refuses %s before training", async (_what, args, message) => {
    const dir = await repo();
    await writeFile(join(dir, "bad.json"), "{");
    await writeFile(join(dir, "other.json"), '{"schemaVersion":2}');
    const r = await runCli(["train", ...args], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("plan refuses a config without a search space", async () => {
    const dir = await repo();
    await writeFile(join(dir, ".github/modelship.yml"), "model: { name: iris }\n");
    const r = await runCli(["sweep", "plan"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[sweep-empty-search-space]");
  });
});
