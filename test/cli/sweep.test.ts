import { cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
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

async function repo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ms-sweep-"));
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

  it("plan refuses a config without a search space", async () => {
    const dir = await repo();
    await writeFile(join(dir, ".github/modelship.yml"), "model: { name: iris }\n");
    const r = await runCli(["sweep", "plan"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[sweep-empty-search-space]");
  });
});
