import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../core/config/parse-config.ts";
import { tableFromRows } from "../../../../core/data/expectations/expectation-table.ts";
import { proposeSuite } from "../../../../core/data/expectations/propose-suite.ts";
import { renderSuiteYaml } from "../../../../core/data/expectations/render-suite-yaml.ts";
import { runExpectationSuite } from "../../../../core/data/expectations/run-expectation-suite.ts";

const load = (rel: string) =>
  JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as Record<string, unknown>[];
const table = (rows: Record<string, unknown>[]) =>
  tableFromRows(
    rows,
    rows.map((_, i) => ({ source: "data", row: i + 1 })),
  );

describe("proposeSuite", () => {
  it.each([
    ["the example penguins", "../../../../examples/penguins/data/penguins.json"],
    ["vega's cars", "../../../../node_modules/vega-datasets/data/cars.json"],
    ["vega's seattle weather", "../../../../node_modules/vega-datasets/data/seattle-weather.csv"],
  ])("drafts YAML that parses as config and holds on %s", (_name, rel) => {
    const rows = rel.endsWith(".csv") ? csvRows(rel) : load(rel);
    const suite = proposeSuite(table(rows));
    const yaml = renderSuiteYaml(suite, { sources: ["data"] });
    const parsed = parseConfig(yaml, "profile.yml");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config.data.expectations).toEqual(suite.expectations);
    const report = runExpectationSuite(table(rows), parsed.config.data.expectations);
    expect(report.results.filter((r) => !r.success)).toEqual([]);
  });

  it("proposes the penguins' types, null rates, ranges and sets", () => {
    const suite = proposeSuite(table(load("../../../../examples/penguins/data/penguins.json")));
    const about = (column: string) =>
      suite.expectations.filter((e) => "column" in e && e.column === column).map((e) => ({ ...e }));
    expect(about("island")).toContainEqual(
      expect.objectContaining({
        expectation: "expect_column_values_to_be_in_set",
        value_set: ["biscoe", "dream", "torgersen"],
      }),
    );
    expect(about("sex")).toContainEqual(
      expect.objectContaining({ expectation: "expect_column_values_to_not_be_null", mostly: 0.96 }),
    );
    expect(about("body_mass_g")).toContainEqual(
      expect.objectContaining({
        expectation: "expect_column_values_to_be_between",
        min_value: 2700,
        max_value: 6300,
      }),
    );
    expect(about("body_mass_g")).toContainEqual(
      expect.objectContaining({ expectation: "expect_column_values_to_be_of_type", type_: "int" }),
    );
    expect(about("bill_length_mm")).toContainEqual(
      expect.objectContaining({ expectation: "expect_column_values_to_be_of_type", type_: "float" }),
    );
    expect(suite.expectations[0]).toMatchObject({
      expectation: "expect_table_row_count_to_be_between",
      min_value: 309,
      max_value: 379,
      severity: "warning",
    });
    expect(suite.columns.find((c) => c.column === "sex")).toMatchObject({ type: "str", distinct: 2 });
  });

  it("proposes uniqueness for an id column and no set for many distinct texts", () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `n${i}` }));
    const suite = proposeSuite(table(rows));
    expect(suite.expectations).toContainEqual(
      expect.objectContaining({ expectation: "expect_column_values_to_be_unique", column: "id" }),
    );
    expect(suite.expectations.some((e) => e.expectation === "expect_column_values_to_be_in_set")).toBe(false);
  });

  it("profiles a column longer than the call stack allows to spread (200,000 rows)", () => {
    const xs = Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 200_003);
    expect(() => Math.min(...xs)).toThrow(RangeError);
    const suite = proposeSuite(table(xs.map((x) => ({ x }))));
    expect(suite.expectations).toContainEqual(
      expect.objectContaining({
        expectation: "expect_column_values_to_be_between",
        column: "x",
        min_value: xs.reduce((a, b) => Math.min(a, b)),
        max_value: xs.reduce((a, b) => Math.max(a, b)),
      }),
    );
  });

  it("keeps a column name with a newline inside its comment line", () => {
    const yaml = renderSuiteYaml(proposeSuite(table([{ "a\nb": 1 }, { "a\nb": 2 }])), { sources: [] });
    expect(parseConfig(yaml, "p.yml").ok).toBe(true);
    expect(yaml).toContain("# a b: int");
  });
});

function csvRows(rel: string): Record<string, unknown>[] {
  const [head, ...lines] = readFileSync(new URL(rel, import.meta.url), "utf8")
    .trim()
    .split("\n");
  const names = head!.split(",");
  return lines.map((l) => {
    const cells = l.split(",");
    return Object.fromEntries(
      names.map((n, i) => [
        n,
        cells[i] === "" || cells[i] === undefined
          ? null
          : Number.isNaN(Number(cells[i]))
            ? cells[i]
            : Number(cells[i]),
      ]),
    );
  });
}
