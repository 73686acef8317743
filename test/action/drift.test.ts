import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReferenceProfile } from "../../core/monitoring/create-reference-profile.ts";
import { REFERENCE_PROFILE_PATH } from "../../core/monitoring/reference-profile.ts";
import { DriftJsonSchema } from "../../core/report/render-drift-json.ts";
import { createWorkspace } from "./action-workspace.ts";
import { runAction } from "./run-action.ts";
import { penguinRows } from "../support/penguins-table.ts";

// The penguins example data as the training reference; current data is the same rows, or a copy
// with three of the six features shifted (half of them: dataset drift by the default 50% share).
type Penguin = Record<string, number | string | null>;
const PENGUINS = penguinRows() as Penguin[];
const FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island", "sex"];
const add = (v: Penguin[string] | undefined, d: number) => (typeof v === "number" ? v + d : (v ?? null));
const SHIFTED = PENGUINS.map((r) => ({
  ...r,
  flipper_length_mm: add(r.flipper_length_mm, 12),
  body_mass_g: add(r.body_mass_g, 600),
  island: r.island === "torgersen" ? "biscoe" : (r.island ?? null),
}));
const CONFIG = "model: { name: penguins, task: classification, target: species }\n";

let ws: string;
beforeAll(async () => {
  ws = await createWorkspace({ config: CONFIG });
  const profile = createReferenceProfile({ model: "penguins", rows: PENGUINS, features: FEATURES });
  await mkdir(join(ws, "runs", "r1", "model"), { recursive: true });
  await writeFile(join(ws, "runs", "r1", REFERENCE_PROFILE_PATH), JSON.stringify(profile));
  await mkdir(join(ws, "data"));
  await writeFile(join(ws, "data", "same.json"), JSON.stringify(PENGUINS));
  await writeFile(join(ws, "data", "shifted.json"), JSON.stringify(SHIFTED));
  await writeFile(join(ws, "data", "few.json"), JSON.stringify(PENGUINS.slice(0, 20)));
});
afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
});

const drift = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction({ workspace: ws, inputs: { command: "drift", reference: "runs/r1", ...inputs }, env });

async function savedReport(dir = ".modelship/drift") {
  return DriftJsonSchema.parse(JSON.parse(await readFile(join(ws, dir, "drift.json"), "utf8")));
}

describe("command: drift", () => {
  it.each([
    // [current file, fail-on-drift, exit code, decision, reason code, drift output]
    ["data/shifted.json", "false", 0, "pass", "dataset-drift", "true"],
    ["data/shifted.json", "true", 1, "fail", "dataset-drift", "true"],
    ["data/same.json", "true", 0, "pass", "no-drift", "false"],
    ["data/few.json", "true", 0, "pass", "not-enough-data", "false"],
  ])(
    "current %s, fail-on-drift %s: exit %i, %s (%s)",
    async (current, gate, code, decision, reason, drifted) => {
      const run = await drift({ current, "fail-on-drift": gate });
      expect(run.code, run.stderr + run.stdout).toBe(code);
      expect(run.outputs).toMatchObject({
        decision,
        "reason-code": reason,
        drift: drifted,
        "report-path": ".modelship/drift/drift.json",
      });
      const saved = await savedReport();
      expect(String(saved.drift)).toBe(drifted);
      expect(Number(run.outputs.share)).toBeCloseTo(saved.share, 12);
      expect(run.summary).toContain("## Drift: penguins");
      expect(await readFile(join(ws, ".modelship/drift/drift.md"), "utf8")).toBe(
        run.summary.trimEnd() + "\n",
      );
      expect(run.errors.length).toBe(decision === "fail" ? 2 : 0);
    },
  );

  it("flags the shifted features only, with the tests the defaults pick for 344 reference rows", async () => {
    const run = await drift({
      current: "data/shifted.json",
      "run-dir": "out/drift",
      "metrics-file": "out/textfile/drift.prom",
    });
    expect(run.code).toBe(0);
    expect(run.outputs["report-path"]).toBe("out/drift/drift.json");
    const saved = await savedReport("out/drift");
    expect(saved.features.map((f) => [f.name, f.test, f.drifted])).toEqual([
      ["bill_length_mm", "ks", false],
      ["bill_depth_mm", "ks", false],
      ["flipper_length_mm", "ks", true],
      ["body_mass_g", "ks", true],
      ["island", "chisquare", true],
      ["sex", "z", false],
    ]);
    expect(saved.share).toBe(0.5);
    expect(run.summary).toContain("⚠️ **Dataset drift**: 3 of 6 features drifted (50%)");
    const gauges = await readFile(join(ws, "out/textfile/drift.prom"), "utf8");
    expect(gauges).toContain('modelship_dataset_drift{model="penguins",environment="production"} 1');
    expect(gauges).toContain(
      'modelship_feature_drift{model="penguins",environment="production",feature="island"} 1',
    );
  });

  it("reads the environment's prediction log under MODELSHIP_HOME, client requests only, and records the verdict", async () => {
    const home = join(ws, "serving-host");
    const log = join(home, ".modelship", "deploy", "staging", "predictions", "blue");
    await mkdir(log, { recursive: true });
    const record = (rows: Penguin[], i: number, traffic: string) =>
      JSON.stringify({
        ts: new Date(Date.UTC(2026, 2, 1, 0, 0, i)).toISOString(),
        id: `r${i}`,
        model: "penguins",
        version: "1.0.0",
        variant: "stable",
        traffic,
        latencyMs: 2,
        status: 200,
        inputs: rows.map((r) => Object.fromEntries(FEATURES.map((f) => [f, r[f] ?? null]))),
      });
    const lines = [
      ...PENGUINS.map((r, i) => record([r], i, "client")),
      // Shifted rows from the rollout's smoke checks and an old day's traffic: both left out.
      ...SHIFTED.slice(0, 200).map((r, i) => record([r], i, "smoke")),
    ];
    await writeFile(join(log, "predictions-1.jsonl"), lines.join("\n") + "\n");
    const old = SHIFTED.map((r, i) => record([r], i, "client").replace("2026-03-01", "2026-02-01"));
    await writeFile(join(log, "predictions-0.jsonl"), old.join("\n") + "\n");
    const run = await drift(
      { environment: "staging", since: "2026-03-01T00:00:00Z", "fail-on-drift": "true" },
      { MODELSHIP_HOME: home },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ decision: "pass", "reason-code": "no-drift", drift: "false" });
    expect(run.stdout).toContain(`prediction log: ${PENGUINS.length} client requests`);
    expect(run.summary).toContain("staging (prediction log) (344 rows)");
    const latest = JSON.parse(
      await readFile(join(home, ".modelship", "deploy", "staging.drift.json"), "utf8"),
    ) as { drift: boolean; reference: string };
    expect(latest).toMatchObject({ drift: false, reference: join(ws, "runs", "r1") });
  });

  it.each([
    [{ since: "yesterday" }, "input 'since': not a time"],
    [{ "fail-on-drift": "yes" }, "input 'fail-on-drift': expected one of true, false"],
    [{ current: "data/missing.json" }, "data/missing.json"],
    [{ current: "data/same.json", reference: "runs/iris-baseline" }, "reference-profile.json"],
  ])("refuses %j with a clear error", async (inputs, message) => {
    const run = await drift(inputs);
    expect(run.code).toBe(1);
    expect(run.outputs.decision).toBe("error");
    expect(run.stdout + run.stderr).toContain(message);
  });
});
