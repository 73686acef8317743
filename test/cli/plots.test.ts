import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readComparisonPlots } from "../../adapters/plots/comparison-plots.ts";
import { runCli } from "./run-cli.ts";

const CANDIDATE = "test/fixtures/runs/iris-candidate";
const BASELINE = "test/fixtures/runs/iris-baseline";

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "modelship-plots-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe("modelship plots", () => {
  it("draws the candidate's charts next to the baseline's and names both runs in comparison.json", async () => {
    const args = ["plots", CANDIDATE, "--baseline", BASELINE, "--out", out];
    const run = await runCli([...args, "--label", "run 7011", "--baseline-label", "v1.0.0", "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(printed).toEqual({
      out,
      candidate: { runId: "20261126-174233-9b8e7d", label: "run 7011" },
      baseline: { runId: "20261101-091502-3f2a1c", label: "v1.0.0" },
      plots: [
        expect.objectContaining({ id: "learning-curves-loss", png: "plots/learning-curves-loss.png" }),
        expect.objectContaining({ id: "learning-curves-metrics", svg: "plots/learning-curves-metrics.svg" }),
      ],
    });
    // What the App reads back from the uploaded folder.
    const read = await readComparisonPlots(out);
    expect(read).toMatchObject({ ok: true, record: { baseline: { label: "v1.0.0" } } });
    const svg = await readFile(join(out, "plots", "learning-curves-loss.svg"), "utf8");
    expect(svg).toContain("run 7011");
    expect(svg).toContain("v1.0.0");
    const png = await readFile(join(out, "plots", "learning-curves-loss.png"));
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  }, 120_000);

  it.each([
    {
      what: "a baseline that is not a run directory",
      args: ["plots", CANDIDATE, "--baseline", "test/fixtures/runs/missing", "--out", "x"],
      stderr: /run directory .*missing does not exist[^]*\[run-dir-missing\]/,
    },
    {
      what: "no --out",
      args: ["plots", CANDIDATE, "--baseline", BASELINE],
      stderr: /required option '-o, --out <dir>' not specified/,
    },
  ])("refuses $what with exit 2", async ({ args, stderr }) => {
    const run = await runCli(args, { cwd: process.cwd() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(stderr);
  });

  it("reads a folder without comparison.json as unusable, saying why", async () => {
    expect(await readComparisonPlots(CANDIDATE)).toEqual({ ok: false, error: "comparison.json is missing" });
  });
});
