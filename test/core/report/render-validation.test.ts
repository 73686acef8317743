import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readRunDir, toRunSummary } from "../../../adapters/run-dir/read-run-dir.ts";
import { compareRuns } from "../../../core/compare/compare-runs.ts";
import { ExpectationSchema } from "../../../core/data/expectations/expectation-schema.ts";
import { tableFromRows } from "../../../core/data/expectations/expectation-table.ts";
import { runExpectationSuite } from "../../../core/data/expectations/run-expectation-suite.ts";
import type { ValidationReport } from "../../../core/data/expectations/validation-report.ts";
import { renderComparisonMarkdown } from "../../../core/report/render-markdown.ts";
import { renderValidationMarkdown } from "../../../core/report/render-validation-markdown.ts";
import { renderValidationText } from "../../../core/report/render-validation-text.ts";
import { penguinsTable } from "../../support/penguins-table.ts";

const table = penguinsTable();

function report(): ValidationReport {
  const suite = [
    { expectation: "expect_column_to_exist", column: "island" },
    {
      expectation: "expect_column_values_to_be_between",
      column: "body_mass_g",
      min_value: 3000,
      severity: "warning",
    },
    { expectation: "expect_column_values_to_be_in_set", column: "island", value_set: ["biscoe", "dream"] },
    // A column name that tries to break out of the table and ping someone.
    { expectation: "expect_column_values_to_match_regex", column: "sex", regex: "^m" },
  ].map((e) => ExpectationSchema.parse(e));
  return runExpectationSuite(table, suite, {
    locations: suite.map((_, i) => ({ file: ".github/modelship.yml", line: 5 + i })),
  });
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("validation in the PR report", () => {
  it("is a collapsed table, failed errors first, then warnings, then what held", () => {
    const md = renderValidationMarkdown(report());
    const lines = md.split("\n");
    expect(lines[0]).toBe("<details><summary>❌ Data validation: 2 failed, 1 warning, 1 of 4 hold</summary>");
    expect(lines.at(-1)).toBe("</details>");
    const rows = lines.filter((l) => /^\| (❌|⚠️|✅) \|/.test(l));
    expect(rows.map((r) => r.split(" | ")[1])).toEqual([
      "`expect_column_values_to_be_in_set`",
      "`expect_column_values_to_match_regex`",
      "`expect_column_values_to_be_between`",
      "`expect_column_to_exist`",
    ]);
    expect(rows[0]).toContain('"torgersen" (data/penguins.json:1), "torgersen" (data/penguins.json:2)');
    expect(rows[0]).toContain("| 52 (15.1%) |");
    expect(rows[0]!.endsWith(", … |")).toBe(true);
  });

  it("escapes values from the data", () => {
    const t = tableFromRows([{ c: "<img src=x> @octocat | **x**" }], [{ source: "d.csv", row: 1 }]);
    const r = runExpectationSuite(t, [
      ExpectationSchema.parse({
        expectation: "expect_column_values_to_be_in_set",
        column: "c",
        value_set: ["a"],
      }),
    ]);
    const md = renderValidationMarkdown(r);
    expect(md).not.toContain("<img");
    expect(md).not.toContain("@octocat");
    expect(
      md
        .split("\n")
        .filter((l) => l.startsWith("| ❌"))[0]!
        .split(/(?<!\\)\|/),
    ).toHaveLength(9);
  });

  it("is part of the comparison report when the candidate run has validation.json", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ms-validation-run-"));
    dirs.push(dir);
    await cp(new URL("../../fixtures/runs/iris-candidate", import.meta.url), dir, { recursive: true });
    await writeFile(join(dir, "validation.json"), JSON.stringify(report()));
    const run = await readRunDir(dir);
    expect(run.validation?.results).toHaveLength(4);
    const c = compareRuns({ candidate: toRunSummary(run), gates: {} });
    const md = renderComparisonMarkdown(c, { modelName: "iris", validation: run.validation! });
    expect(md).toContain("<details><summary>❌ Data validation: 2 failed, 1 warning, 1 of 4 hold</summary>");
    expect(renderComparisonMarkdown(c, { modelName: "iris" })).not.toContain("Data validation");
  });

  it("a validation.json that is not a validation report is refused with its location", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ms-validation-run-"));
    dirs.push(dir);
    await cp(new URL("../../fixtures/runs/iris-candidate", import.meta.url), dir, { recursive: true });
    await writeFile(join(dir, "validation.json"), '{\n  "success": "yes",\n  "results": []\n}\n');
    await expect(readRunDir(dir)).rejects.toThrow(/validation\.json:2:\d+.*\[run-validation-invalid\]/s);
  });
});

describe("validation in a terminal", () => {
  it("prints a verdict, an aligned table and the unexpected rows", () => {
    const text = renderValidationText(report(), { rows: 344, sources: ["data/penguins.json"] });
    const lines = text.split("\n");
    expect(lines[0]).toBe(
      "Data validation: FAILED — 1 of 4 expectations hold, 2 errors, 1 warning (344 rows from data/penguins.json)",
    );
    expect(lines[3]).toMatch(
      /^FAIL\s+expect_column_values_to_be_in_set\s+island\s+84\.9% pass\s+52 \(15\.1%\)\s+line 7$/,
    );
    expect(lines[5]).toMatch(/^warn\s+expect_column_values_to_be_between\s+body_mass_g/);
    expect(text).toContain('    data/penguins.json:1  "torgersen"\n');
    expect(text).toContain("    … and 47 more (--json lists 20)\n");
  });
});
