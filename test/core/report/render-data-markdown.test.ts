import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataLoadingSchema } from "../../../core/config/data-sources-schema.ts";
import { diffColumns } from "../../../core/data/diff-columns.ts";
import { ExpectationSchema } from "../../../core/data/expectations/expectation-schema.ts";
import { tableFromRows } from "../../../core/data/expectations/expectation-table.ts";
import { runExpectationSuite } from "../../../core/data/expectations/run-expectation-suite.ts";
import type { ValidationReport } from "../../../core/data/expectations/validation-report.ts";
import { readRunDir, toRunSummary } from "../../../adapters/run-dir/read-run-dir.ts";
import { compareRuns } from "../../../core/compare/compare-runs.ts";
import { renderDataMarkdown, type RunData } from "../../../core/report/render-data-markdown.ts";
import { renderComparisonMarkdown } from "../../../core/report/render-markdown.ts";
import { loadData, runRecordData } from "../../../runners/train/load-data.ts";

/**
 * Real data blocks, as training writes them into run.json: the penguins data set (baseline) and a
 * copy where `sex` was dropped, `body_mass_g` became kilograms (integer → number) and `year` added.
 */
let dir: string;
let baseline: RunData;
let candidate: RunData;
let validation: ValidationReport;

async function dataOf(file: string): Promise<{ data: RunData; rows: Record<string, unknown>[] }> {
  const loaded = await loadData({
    repoDir: dir,
    data: { source: [file], format: "auto", sources: [], loading: DataLoadingSchema.parse({}) },
    snapshotsDir: null,
  });
  return { data: { ...runRecordData(loaded), trainRows: 275, validationRows: 69 }, rows: loaded.rows };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "modelship-data-report-"));
  await cp("examples/penguins/data/penguins.json", join(dir, "penguins.json"));
  const rows = JSON.parse(await readFile(join(dir, "penguins.json"), "utf8")) as Record<string, unknown>[];
  const changed = rows.map(({ sex: _sex, body_mass_g, ...rest }, i) => ({
    ...rest,
    body_mass_g: typeof body_mass_g === "number" ? body_mass_g / 1000 : null,
    year: 2007 + (i % 3),
  }));
  await writeFile(join(dir, "penguins-v2.json"), JSON.stringify(changed));
  baseline = (await dataOf("penguins.json")).data;
  const cand = await dataOf("penguins-v2.json");
  candidate = cand.data;
  const suite = [
    { expectation: "expect_column_to_exist", column: "sex" },
    {
      expectation: "expect_column_values_to_be_between",
      column: "body_mass_g",
      min_value: 2500,
      max_value: 6500,
    },
    {
      expectation: "expect_column_values_to_be_in_set",
      column: "island",
      value_set: ["biscoe", "dream", "torgersen"],
    },
  ].map((e) => ExpectationSchema.parse(e));
  const table = tableFromRows(
    cand.rows,
    cand.rows.map((_, i) => ({ source: "penguins-v2.json", row: i + 1 })),
  );
  validation = runExpectationSuite(table, suite);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("diffColumns", () => {
  it.each([
    ["nothing changed", [["a", "integer"]], [["a", "integer"]], { added: [], removed: [], retyped: [] }],
    [
      "a column added",
      [["a", "integer"]],
      [
        ["a", "integer"],
        ["b", "string"],
      ],
      { added: ["b"], removed: [], retyped: [] },
    ],
    [
      "a column removed",
      [
        ["a", "integer"],
        ["b", "string"],
      ],
      [["a", "integer"]],
      { added: [], removed: ["b"], retyped: [] },
    ],
    [
      "a column retyped",
      [["a", "integer"]],
      [["a", "number"]],
      { added: [], removed: [], retyped: ["a: integer → number"] },
    ],
    [
      "an all-null column is not retyped",
      [["a", "null"]],
      [["a", "string"]],
      { added: [], removed: [], retyped: [] },
    ],
  ] as const)("%s", (_label, before, after, expected) => {
    const cols = (list: ReadonlyArray<readonly [string, string]>) =>
      list.map(([name, type]) => ({ name, type: type as "integer", nulls: 0 }));
    const d = diffColumns(cols(before), cols(after));
    expect({
      added: d.added.map((c) => c.name),
      removed: d.removed.map((c) => c.name),
      retyped: d.retyped.map((r) => `${r.name}: ${r.from} → ${r.to}`),
    }).toEqual(expected);
  });
});

describe("the report's data section", () => {
  it("shows both data versions, rows, schema changes and the validation, failures first", () => {
    const md = renderDataMarkdown({
      candidate: { label: "run 4242", data: candidate },
      baseline: { label: "v1.2.0", data: baseline },
      validation,
    });
    expect(md).toContain(`\`${candidate.version!.slice(0, 12)}\``);
    expect(md).toContain(`\`${baseline.version!.slice(0, 12)}\``);
    expect(md).toContain("- ❌ Removed (1): `sex` (string)");
    expect(md).toContain("- 🔁 Retyped (1): `body_mass_g` (integer → number)");
    expect(md).toContain("- ➕ Added (1): `year` (integer)");
    expect(md).toMatchSnapshot();
  });

  it("says so when the data is the baseline's", () => {
    const md = renderDataMarkdown({
      candidate: { label: "run 1", data: baseline },
      baseline: { label: "v1.0.0", data: baseline },
    });
    expect(md).toContain("✅ Same data as the baseline (identical data version).");
    expect(md).toContain("Schema: no columns added, removed or retyped.");
  });

  it("without a baseline shows the candidate's data alone", () => {
    const md = renderDataMarkdown({ candidate: { label: "run 1", data: candidate } });
    expect(md).toContain("no baseline to compare with");
    expect(md).toContain("| | Candidate run 1 |");
    expect(md).not.toContain("Schema");
  });

  it("is part of the PR report, in place of the bare validation table", async () => {
    const cand = await readRunDir("test/fixtures/runs/iris-candidate");
    const base = await readRunDir("test/fixtures/runs/iris-baseline");
    const comparison = compareRuns({
      candidate: toRunSummary(cand, { label: "run 4242" }),
      baseline: toRunSummary(base, { label: "v1.2.0" }),
      gates: {},
    });
    const md = renderComparisonMarkdown(comparison, {
      modelName: "penguins",
      validation,
      data: { candidate, baseline },
    });
    expect(md).toContain("### Data\n\n🔄 The data changed since the baseline (3 schema changes).");
    expect(md.indexOf("### Data")).toBeLessThan(md.indexOf("<details><summary>❌ Data validation"));
    // Without the runs' data the validation table stands alone, as before.
    const bare = renderComparisonMarkdown(comparison, { modelName: "penguins", validation });
    expect(bare).not.toContain("### Data");
    expect(bare).toContain("<details><summary>❌ Data validation");
  });
});
