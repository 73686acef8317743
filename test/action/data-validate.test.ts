import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ValidationReportSchema } from "../../core/data/expectations/validation-report.ts";
import { createWorkspace } from "./action-workspace.ts";
import { runAction } from "./run-action.ts";

const PENGUINS = readFileSync(new URL("../../examples/penguins/data/penguins.json", import.meta.url), "utf8");

const config = (islands: string) => `model: { name: penguins, target: species }
data:
  source: [data/penguins.json]
  expectations:
    - { expectation: expect_column_values_to_not_be_null, column: sex, mostly: 0.95 }
    - expectation: expect_column_values_to_be_in_set
      column: island
      value_set: [${islands}]
    - { expectation: expect_column_mean_to_be_between, column: body_mass_g, min_value: 5000, severity: warning }
`;

const workspaces: string[] = [];
async function workspace(text: string): Promise<string> {
  const ws = await createWorkspace({ config: text });
  workspaces.push(ws);
  await mkdir(join(ws, "data"));
  await writeFile(join(ws, "data/penguins.json"), PENGUINS);
  return ws;
}
afterAll(async () => {
  await Promise.all(workspaces.map((w) => rm(w, { recursive: true, force: true })));
});

describe("command: data-validate", () => {
  it("fails with an annotation on the failed expectation's line and writes validation.json", async () => {
    const ws = await workspace(config("biscoe, dream"));
    const run = await runAction({ workspace: ws, inputs: { command: "data-validate" } });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({
      decision: "fail",
      "reason-code": "data-invalid",
      "report-path": ".modelship/validation/validation.json",
    });
    // Only the failed error: the warning is in the summary, not an error annotation.
    expect(
      run.errors
        .filter((e) => e.props["file"])
        .map((e) => [e.props["file"], e.props["line"], e.props["col"], e.props["title"]]),
    ).toEqual([
      [".github/modelship.yml", "6", "7", "Data expectation failed: expect_column_values_to_be_in_set"],
    ]);
    expect(run.errors[0]!.message).toMatch(
      /^column 'island': observed 0\.8488, 52 unexpected values \(15\.1%\)/,
    );
    const saved = ValidationReportSchema.parse(
      JSON.parse(await readFile(join(ws, ".modelship/validation/validation.json"), "utf8")),
    );
    expect(saved.results.map((r) => [r.expectation, r.success])).toEqual([
      ["expect_column_values_to_not_be_null", true],
      ["expect_column_values_to_be_in_set", false],
      ["expect_column_mean_to_be_between", false],
    ]);
    expect(saved.results[1]!.unexpectedSample[0]).toEqual({
      source: "data/penguins.json",
      row: 1,
      value: "torgersen",
    });
    expect(run.summary).toContain(
      "<details open><summary>❌ Data validation: 1 failed, 1 warning, 1 of 3 hold</summary>",
    );
    // Failures first: the failed error, then the warning, then what held.
    const rows = run.summary
      .split("\n")
      .filter((l) => l.startsWith("| ❌") || l.startsWith("| ⚠️") || l.startsWith("| ✅"));
    expect(rows.map((l) => l.slice(2, 4).trim())).toEqual(["❌", "⚠️", "✅"]);
  });

  it("passes when only warnings fail", async () => {
    const ws = await workspace(config("biscoe, dream, torgersen"));
    const run = await runAction({ workspace: ws, inputs: { command: "data-validate", "run-dir": "out" } });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      decision: "pass",
      "reason-code": "data-valid",
      "report-path": "out/validation.json",
    });
    expect(run.errors).toEqual([]);
  });

  it("is an error, located, when the config is invalid", async () => {
    const ws = await workspace("data:\n  expectations:\n    - { expectation: expect_column_to_exist }\n");
    const run = await runAction({ workspace: ws, inputs: { command: "data-validate" } });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ decision: "error", "reason-code": "config-invalid" });
    expect(run.errors[0]!.props).toMatchObject({ file: ".github/modelship.yml", line: "3" });
  });
});
