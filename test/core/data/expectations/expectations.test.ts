import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../core/config/parse-config.ts";
import {
  ExpectationSchema,
  type Expectation,
} from "../../../../core/data/expectations/expectation-schema.ts";
import {
  tableFromRows,
  type ExpectationTable,
} from "../../../../core/data/expectations/expectation-table.ts";
import {
  runExpectation,
  runExpectationSuite,
} from "../../../../core/data/expectations/run-expectation-suite.ts";
import { penguinRows, penguinsTable } from "../../../support/penguins-table.ts";

const PENGUINS = penguinRows();
const penguins = penguinsTable(PENGUINS);

const run = (table: ExpectationTable, raw: Record<string, unknown>) =>
  runExpectation(table, ExpectationSchema.parse(raw));

// Figures published with the data set (palmerpenguins' summary): counts, ranges, mean and sd.
describe("expectations on the penguins data", () => {
  it.each<
    [string, Record<string, unknown>, { success: boolean; observed: number | null; unexpected: number }]
  >([
    [
      "column exists",
      { expectation: "expect_column_to_exist", column: "island" },
      { success: true, observed: 1, unexpected: 0 },
    ],
    [
      "column at another position",
      { expectation: "expect_column_to_exist", column: "island", column_index: 0 },
      { success: false, observed: 1, unexpected: 0 },
    ],
    [
      "column missing",
      { expectation: "expect_column_to_exist", column: "Island" },
      { success: false, observed: null, unexpected: 0 },
    ],
    [
      "row count within",
      { expectation: "expect_table_row_count_to_be_between", min_value: 300, max_value: 344 },
      { success: true, observed: 344, unexpected: 0 },
    ],
    [
      "row count, strict max",
      { expectation: "expect_table_row_count_to_be_between", max_value: 344, strict_max: true },
      { success: false, observed: 344, unexpected: 0 },
    ],
    [
      "row count, null max",
      { expectation: "expect_table_row_count_to_be_between", min_value: 345, max_value: null },
      { success: false, observed: 344, unexpected: 0 },
    ],
    [
      "sex not null, 11 missing",
      { expectation: "expect_column_values_to_not_be_null", column: "sex" },
      { success: false, observed: 333 / 344, unexpected: 11 },
    ],
    [
      "sex not null, mostly 0.96",
      { expectation: "expect_column_values_to_not_be_null", column: "sex", mostly: 0.96 },
      { success: true, observed: 333 / 344, unexpected: 11 },
    ],
    [
      "sex not null, mostly 0.97",
      { expectation: "expect_column_values_to_not_be_null", column: "sex", mostly: 0.97 },
      { success: false, observed: 333 / 344, unexpected: 11 },
    ],
    [
      "body mass in its range (nulls skipped)",
      {
        expectation: "expect_column_values_to_be_between",
        column: "body_mass_g",
        min_value: 2700,
        max_value: 6300,
      },
      { success: true, observed: 1, unexpected: 0 },
    ],
    [
      "body mass, strict min excludes 2700",
      {
        expectation: "expect_column_values_to_be_between",
        column: "body_mass_g",
        min_value: 2700,
        strict_min: true,
      },
      { success: false, observed: 341 / 342, unexpected: 1 },
    ],
    [
      "body mass, strict min, mostly 0.99",
      {
        expectation: "expect_column_values_to_be_between",
        column: "body_mass_g",
        min_value: 2700,
        strict_min: true,
        mostly: 0.99,
      },
      { success: true, observed: 341 / 342, unexpected: 1 },
    ],
    [
      "island in two of three",
      { expectation: "expect_column_values_to_be_in_set", column: "island", value_set: ["biscoe", "dream"] },
      { success: false, observed: 292 / 344, unexpected: 52 },
    ],
    [
      "island in all three",
      {
        expectation: "expect_column_values_to_be_in_set",
        column: "island",
        value_set: ["biscoe", "dream", "torgersen"],
      },
      { success: true, observed: 1, unexpected: 0 },
    ],
    [
      "species regex searches",
      { expectation: "expect_column_values_to_match_regex", column: "species", regex: "[aeiou]" },
      { success: true, observed: 1, unexpected: 0 },
    ],
    [
      "species regex anchored",
      { expectation: "expect_column_values_to_match_regex", column: "species", regex: "^(adelie|gentoo)$" },
      { success: false, observed: 276 / 344, unexpected: 68 },
    ],
    [
      "regex on numbers sees their text",
      { expectation: "expect_column_values_to_match_regex", column: "flipper_length_mm", regex: "^\\d{3}$" },
      { success: true, observed: 1, unexpected: 0 },
    ],
    [
      "island not unique: every occurrence counts",
      { expectation: "expect_column_values_to_be_unique", column: "island" },
      { success: false, observed: 0, unexpected: 344 },
    ],
    [
      "body mass mean",
      {
        expectation: "expect_column_mean_to_be_between",
        column: "body_mass_g",
        min_value: 4200,
        max_value: 4203,
      },
      { success: true, observed: 4201.754385964912, unexpected: 0 },
    ],
    [
      "body mass sd (n - 1)",
      {
        expectation: "expect_column_stdev_to_be_between",
        column: "body_mass_g",
        min_value: 801,
        max_value: 802,
      },
      { success: true, observed: 801.9545356980955, unexpected: 0 },
    ],
    [
      "mean of text fails",
      { expectation: "expect_column_mean_to_be_between", column: "island", min_value: 0 },
      { success: false, observed: null, unexpected: 344 },
    ],
    [
      "island unique share 3/344",
      {
        expectation: "expect_column_proportion_of_unique_values_to_be_between",
        column: "island",
        max_value: 0.01,
      },
      { success: true, observed: 3 / 344, unexpected: 0 },
    ],
    [
      "sex unique share over non-null only",
      {
        expectation: "expect_column_proportion_of_unique_values_to_be_between",
        column: "sex",
        min_value: 2 / 333,
        max_value: 2 / 333,
      },
      { success: true, observed: 2 / 333, unexpected: 0 },
    ],
    [
      "flipper length is int",
      { expectation: "expect_column_values_to_be_of_type", column: "flipper_length_mm", type_: "int64" },
      { success: true, observed: 1, unexpected: 0 },
    ],
    [
      "bill length is float",
      { expectation: "expect_column_values_to_be_of_type", column: "bill_length_mm", type_: "float" },
      { success: true, observed: 1, unexpected: 0 },
    ],
    [
      "island is str",
      { expectation: "expect_column_values_to_be_of_type", column: "island", type_: "str" },
      { success: true, observed: 1, unexpected: 0 },
    ],
    [
      "missing column fails a map expectation",
      { expectation: "expect_column_values_to_be_unique", column: "nope" },
      { success: false, observed: null, unexpected: 0 },
    ],
  ])("%s", (_name, raw, want) => {
    const f = run(penguins, raw);
    expect(f.success).toBe(want.success);
    if (want.observed === null) expect(f.observed).toBeNull();
    else expect(f.observed).toBeCloseTo(want.observed, 9);
    expect(f.unexpectedCount).toBe(want.unexpected);
  });

  it("counts non-integer bill lengths as unexpected for type int, over non-null values", () => {
    const f = run(penguins, {
      expectation: "expect_column_values_to_be_of_type",
      column: "bill_length_mm",
      type_: "int",
    });
    const nonNull = PENGUINS.filter((r) => r["bill_length_mm"] !== null);
    const fractional = nonNull.filter((r) => !Number.isInteger(r["bill_length_mm"]));
    expect(nonNull).toHaveLength(342);
    expect(f.success).toBe(false);
    expect(f.unexpectedCount).toBe(fractional.length);
    expect(f.unexpectedPercent).toBeCloseTo((fractional.length / 342) * 100, 9);
  });

  it("lists at most 20 unexpected values with their source rows", () => {
    const f = run(penguins, {
      expectation: "expect_column_values_to_be_in_set",
      column: "island",
      value_set: ["biscoe", "dream"],
    });
    expect(f.unexpectedSample).toHaveLength(20);
    for (const u of f.unexpectedSample) {
      expect(u.source).toBe("data/penguins.json");
      expect(PENGUINS[u.row - 1]!["island"]).toBe(u.value);
      expect(u.value).toBe("torgersen");
    }
    expect(f.unexpectedPercent).toBeCloseTo((52 / 344) * 100, 9);
  });

  it("names the rows of the missing sex values, over every row", () => {
    const f = run(penguins, { expectation: "expect_column_values_to_not_be_null", column: "sex" });
    const want = PENGUINS.flatMap((r, i) => (r["sex"] === null ? [i + 1] : []));
    expect(f.unexpectedSample.map((u) => u.row)).toEqual(want);
    expect(f.unexpectedPercent).toBeCloseTo((11 / 344) * 100, 9);
  });
});

// A table built to hit GE's edge cases: nulls of every kind, text among numbers, duplicates.
const EDGE = tableFromRows(
  [
    { x: 1, s: "a", k: 1 },
    { x: 2, s: "b", k: "1" },
    { x: null, s: "", k: 2 },
    { x: 4, s: "a", k: 2 },
    { x: "x", s: "c" },
    { x: Number.NaN, s: "  ", k: 3 },
  ],
  [1, 2, 3, 4, 5, 6].map((row) => ({ source: row > 3 ? "b.csv" : "a.csv", row: row > 3 ? row - 3 : row })),
);

describe("GE semantics: nulls, mostly, types", () => {
  it.each<[string, Record<string, unknown>, Partial<ReturnType<typeof runExpectation>>]>([
    [
      "between skips null and NaN; text is unexpected",
      { expectation: "expect_column_values_to_be_between", column: "x", min_value: 1, max_value: 3 },
      { success: false, observed: 0.5, unexpectedCount: 2, unexpectedPercent: 50 },
    ],
    [
      "mostly 0.5 is met by half",
      {
        expectation: "expect_column_values_to_be_between",
        column: "x",
        min_value: 1,
        max_value: 3,
        mostly: 0.5,
      },
      { success: true, observed: 0.5 },
    ],
    [
      "not_be_null counts null, NaN, blank and absent over every row",
      { expectation: "expect_column_values_to_not_be_null", column: "s" },
      { success: false, unexpectedCount: 2, observed: 4 / 6 },
    ],
    [
      "absent cell is null",
      { expectation: "expect_column_values_to_not_be_null", column: "k" },
      { unexpectedCount: 1, observed: 5 / 6 },
    ],
    [
      "in_set compares type and value: '1' is not 1",
      { expectation: "expect_column_values_to_be_in_set", column: "k", value_set: [1, 2, 3] },
      { success: false, unexpectedCount: 1 },
    ],
    [
      "unique: both 2s are unexpected, 1 and '1' differ",
      { expectation: "expect_column_values_to_be_unique", column: "k" },
      { success: false, unexpectedCount: 2, observed: 3 / 5 },
    ],
    [
      "mean refuses text among numbers",
      { expectation: "expect_column_mean_to_be_between", column: "x", min_value: 0 },
      { success: false, observed: null, unexpectedCount: 1 },
    ],
    [
      "numeric text counts as a number for stdev",
      { expectation: "expect_column_stdev_to_be_between", column: "k", min_value: 0.83, max_value: 0.84 },
      { success: true, unexpectedCount: 0 },
    ],
    [
      "of_type str ignores blanks",
      { expectation: "expect_column_values_to_be_of_type", column: "s", type_: "string" },
      { success: true, observed: 1 },
    ],
  ])("%s", (_name, raw, want) => {
    expect(run(EDGE, raw)).toMatchObject(want);
  });

  it("a column with only nulls meets a map expectation: nothing is unexpected", () => {
    const t = tableFromRows(
      [{ a: null }, { a: "" }],
      [
        { source: "x", row: 1 },
        { source: "x", row: 2 },
      ],
    );
    expect(
      run(t, { expectation: "expect_column_values_to_be_between", column: "a", min_value: 0 }),
    ).toMatchObject({ success: true, unexpectedCount: 0, unexpectedPercent: 0 });
    expect(
      run(t, { expectation: "expect_column_mean_to_be_between", column: "a", min_value: 0 }),
    ).toMatchObject({ success: false, observed: null });
    const one = tableFromRows([{ a: 5 }], [{ source: "x", row: 1 }]);
    expect(
      run(one, { expectation: "expect_column_stdev_to_be_between", column: "a", min_value: 0 }),
    ).toMatchObject({ success: false, observed: null });
  });

  it("gives each unexpected value the row it has in its own source", () => {
    const f = run(EDGE, {
      expectation: "expect_column_values_to_be_between",
      column: "x",
      min_value: 1,
      max_value: 3,
    });
    expect(f.unexpectedSample).toEqual([
      { source: "b.csv", row: 1, value: 4 },
      { source: "b.csv", row: 2, value: "x" },
    ]);
  });
});

describe("runExpectationSuite", () => {
  const suite = (entries: Record<string, unknown>[]): Expectation[] =>
    entries.map((e) => ExpectationSchema.parse(e));

  it("fails only on an error-severity failure, keeps config order and attaches locations", () => {
    const report = runExpectationSuite(
      penguins,
      suite([
        { expectation: "expect_table_row_count_to_be_between", min_value: 1000, severity: "warning" },
        { expectation: "expect_column_to_exist", column: "species" },
      ]),
      { locations: [{ file: "m.yml", line: 4, column: 7 }, undefined] },
    );
    expect(report.success).toBe(true);
    expect(report.results.map((r) => [r.expectation, r.success, r.severity])).toEqual([
      ["expect_table_row_count_to_be_between", false, "warning"],
      ["expect_column_to_exist", true, "error"],
    ]);
    expect(report.results[0]!.where).toEqual({ file: "m.yml", line: 4, column: 7 });
    expect(report.results[1]).not.toHaveProperty("where");
    expect(Object.keys(report.results[1]!)).toEqual([
      "expectation",
      "column",
      "success",
      "observed",
      "unexpectedCount",
      "unexpectedPercent",
      "unexpectedSample",
      "severity",
    ]);
    const failing = runExpectationSuite(
      penguins,
      suite([{ expectation: "expect_column_to_exist", column: "x" }]),
    );
    expect(failing.success).toBe(false);
  });

  it("an empty suite succeeds", () => {
    expect(runExpectationSuite(penguins, [])).toEqual({ success: true, results: [] });
  });
});

describe("data.expectations in the config", () => {
  const FILE = ".github/modelship.yml";
  it.each([
    [
      "unknown expectation",
      "data:\n  expectations:\n    - { expectation: expect_column_to_be_nice, column: a }\n",
      3,
      /data\.expectations\.0\.expectation: Invalid discriminator value\. Expected 'expect_column_to_exist'/,
    ],
    [
      "kwarg GE does not have",
      "data:\n  expectations:\n    - expectation: expect_column_values_to_be_unique\n      column: a\n      min_value: 3\n",
      5,
      /unknown key 'min_value'/,
    ],
    [
      "no bound",
      "data:\n  expectations:\n    - { expectation: expect_column_values_to_be_between, column: a }\n",
      3,
      /set min_value, max_value or both/,
    ],
    [
      "bounds reversed",
      "data:\n  expectations:\n    - { expectation: expect_column_mean_to_be_between, column: a, min_value: 5, max_value: 1 }\n",
      3,
      /min_value must not be greater than max_value/,
    ],
    [
      "mostly above 1",
      "data:\n  expectations:\n    - { expectation: expect_column_values_to_not_be_null, column: a, mostly: 1.5 }\n",
      3,
      /mostly: Too big/,
    ],
    [
      "bad regex",
      "data:\n  expectations:\n    - expectation: expect_column_values_to_match_regex\n      column: a\n      regex: '(unclosed'\n",
      5,
      /regex is not a valid regular expression/,
    ],
    [
      "unknown type",
      "data:\n  expectations:\n    - { expectation: expect_column_values_to_be_of_type, column: a, type_: dict }\n",
      3,
      /type_: expected one of "int"/,
    ],
    [
      "bad severity",
      "data:\n  expectations:\n    - { expectation: expect_column_to_exist, column: a, severity: fatal }\n",
      3,
      /severity: expected one of "error", "warning"/,
    ],
  ])("%s: located at its line", (_name, text, line, message) => {
    const r = parseConfig(text, FILE);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]!.message).toMatch(message);
    expect(r.problems[0]!.where).toMatchObject({ file: FILE, line });
  });

  it("fills severity error, mostly 1 and strict false", () => {
    const r = parseConfig(
      "data:\n  expectations:\n    - { expectation: expect_column_values_to_be_between, column: a, max_value: 3 }\n",
      FILE,
    );
    expect(r.ok && r.config.data.expectations).toEqual([
      {
        expectation: "expect_column_values_to_be_between",
        column: "a",
        max_value: 3,
        severity: "error",
        mostly: 1,
        strict_min: false,
        strict_max: false,
      },
    ]);
  });
});
