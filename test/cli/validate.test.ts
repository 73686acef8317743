import { mkdtemp, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";

describe("modelship validate", () => {
  it("accepts a valid config and prints the effective values with --json", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ms-validate-"));
    await mkdir(join(dir, ".github"));
    await writeFile(join(dir, ".github/modelship.yml"), "model:\n  name: churn\n  task: regression\n");
    const r = await runCli(["validate", "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.stdout) as { model: { name: string; task: string }; deploy: { port: number } };
    expect(cfg.model).toMatchObject({ name: "churn", task: "regression" });
    expect(cfg.deploy.port).toBe(8080);
  });

  it("exits 2 with file:line:column for each problem", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ms-validate-"));
    await writeFile(join(dir, "m.yml"), "model:\n  task: clasify\ndeploy:\n  colour: blue\n");
    const r = await runCli(["validate", "--config", "m.yml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('m.yml:2:9: model.task: expected one of "classification", "regression"');
    expect(r.stderr).toContain("m.yml:4:3: deploy: unknown key 'colour'");
  });

  it("says how to fix a missing config", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ms-validate-"));
    const r = await runCli(["validate"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read \.github\/modelship\.yml.*\n.*hint: Pass --config/);
  });

  it.each([
    ["no data source", "model: { name: churn }\n", true],
    ["a data source", "model: { name: churn }\ndata: { source: [d.csv] }\n", false],
    [
      "a data.sources entry",
      "model: { name: churn }\ndata: { sources: [{ kind: file, path: d.csv }] }\n",
      false,
    ],
    ["its own training program", "model: { name: churn }\ntrain: { command: python train.py }\n", false],
  ])("warns, still exiting 0, when the built-in trainer has no data (%s)", async (_c, config, warns) => {
    const dir = await mkdtemp(join(tmpdir(), "ms-validate-"));
    await writeFile(join(dir, "m.yml"), config);
    for (const args of [[], ["--json"], ["-q"]]) {
      const r = await runCli(["validate", "--config", "m.yml", ...args], { cwd: dir });
      expect(r.code).toBe(0);
      if (warns) expect(r.stderr).toMatch(/^warning: m\.yml: data\.source and data\.sources are empty/);
      else expect(r.stderr).toBe("");
    }
  });
});
