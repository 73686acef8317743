import { describe, expect, it } from "vitest";
import {
  ExpectationSchema,
  type Expectation,
} from "../../../../core/data/expectations/expectation-schema.ts";
import { tableFromRows } from "../../../../core/data/expectations/expectation-table.ts";
import {
  createSuiteAccumulator,
  runExpectation,
  runExpectationSuite,
} from "../../../../core/data/expectations/run-expectation-suite.ts";
import { valueKey } from "../../../../core/data/expectations/value-key.ts";
import { penguinRows } from "../../../support/penguins-table.ts";

const PENGUINS = penguinRows();
const origin = (i: number) => ({ source: i < 200 ? "a.json" : "b.json", row: i < 200 ? i + 1 : i - 199 });

// Every kind, passing and failing, on present and missing columns.
const SUITE: Expectation[] = [
  { expectation: "expect_column_to_exist", column: "sex", column_index: 6 },
  { expectation: "expect_column_to_exist", column: "nope" },
  { expectation: "expect_table_row_count_to_be_between", min_value: 300, max_value: 400 },
  { expectation: "expect_column_values_to_not_be_null", column: "sex", mostly: 0.9 },
  {
    expectation: "expect_column_values_to_be_between",
    column: "body_mass_g",
    min_value: 3000,
    max_value: 5000,
  },
  { expectation: "expect_column_values_to_be_in_set", column: "island", value_set: ["biscoe", "dream"] },
  { expectation: "expect_column_values_to_match_regex", column: "species", regex: "^a" },
  { expectation: "expect_column_values_to_be_unique", column: "body_mass_g" },
  {
    expectation: "expect_column_mean_to_be_between",
    column: "flipper_length_mm",
    min_value: 190,
    max_value: 210,
  },
  { expectation: "expect_column_stdev_to_be_between", column: "bill_length_mm", min_value: 5, max_value: 6 },
  {
    expectation: "expect_column_proportion_of_unique_values_to_be_between",
    column: "island",
    max_value: 0.5,
  },
  { expectation: "expect_column_values_to_be_of_type", column: "body_mass_g", type_: "int" },
  { expectation: "expect_column_values_to_be_of_type", column: "missing", type_: "int" },
].map((e) => ExpectationSchema.parse(e));

describe("createSuiteAccumulator: the suite in one pass over streamed rows", () => {
  it("gives the report runExpectationSuite gives on the same rows held as a table", () => {
    const acc = createSuiteAccumulator(SUITE);
    for (const row of PENGUINS) acc.add(row);
    const streamed = acc.finish(origin, { locations: [{ file: "m.yml", line: 3 }] });
    const table = tableFromRows(
      PENGUINS,
      PENGUINS.map((_, i) => origin(i)),
    );
    expect(streamed).toEqual(runExpectationSuite(table, SUITE, { locations: [{ file: "m.yml", line: 3 }] }));
    expect(streamed.results.map((r) => r.success)).toEqual([
      true,
      false,
      true,
      true,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
    // Unexpected values point at their source rows across the two "files".
    const sample = streamed.results[5]!.unexpectedSample;
    expect(sample[0]).toEqual({ source: "a.json", row: 1, value: "torgersen" });
    expect(streamed.results[5]!.unexpectedCount).toBe(
      PENGUINS.filter((p) => p.island === "torgersen").length,
    );
  });

  it("unique: lists the first 20 rows of repeated values in row order, as a two-pass count does", () => {
    // A value first seen early and repeated late comes before later repeats of other values.
    const values = Array.from({ length: 400 }, (_, i) =>
      i % 37 === 0 ? 1000 + (i % 5) : i * 3 + (i % 11 === 0 ? 0 : 1),
    );
    values.push(values[1]!, values[2]!);
    const rows = values.map((v) => ({ v }));
    const e = ExpectationSchema.parse({ expectation: "expect_column_values_to_be_unique", column: "v" });
    const counts = new Map<string, number>();
    for (const v of values) counts.set(valueKey(v), (counts.get(valueKey(v)) ?? 0) + 1);
    const repeated = values.flatMap((v, i) =>
      counts.get(valueKey(v))! > 1 ? [{ ...origin(i), value: v }] : [],
    );
    const acc = createSuiteAccumulator([e]);
    for (const row of rows) acc.add(row);
    const [result] = acc.finish(origin).results;
    expect(result!.unexpectedCount).toBe(repeated.length);
    expect(result!.unexpectedSample).toEqual(repeated.slice(0, 20));
    expect(result!.unexpectedSample).toEqual(
      runExpectation(
        tableFromRows(
          rows,
          rows.map((_, i) => origin(i)),
        ),
        e,
      ).unexpectedSample,
    );
  });
});
