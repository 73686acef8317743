import type { SourceLocation } from "../../errors.ts";
import { expectColumnToExist } from "./expect-column-to-exist.ts";
import {
  expectColumnMeanToBeBetween,
  expectColumnProportionOfUniqueValuesToBeBetween,
  expectColumnStdevToBeBetween,
} from "./expect-column-statistics.ts";
import {
  expectColumnValuesToBeBetween,
  expectColumnValuesToBeInSet,
  expectColumnValuesToBeOfType,
  expectColumnValuesToBeUnique,
  expectColumnValuesToMatchRegex,
  expectColumnValuesToNotBeNull,
} from "./expect-column-values.ts";
import { expectTableRowCountToBeBetween } from "./expect-table-row-count-to-be-between.ts";
import type { Finding } from "./expectation-result.ts";
import type { Expectation } from "./expectation-schema.ts";
import type { ExpectationTable } from "./expectation-table.ts";
import type { ValidationReport } from "./validation-report.ts";

/** Runs one expectation on the table. */
export function runExpectation(table: ExpectationTable, e: Expectation): Finding {
  switch (e.expectation) {
    case "expect_column_to_exist":
      return expectColumnToExist(table, e);
    case "expect_table_row_count_to_be_between":
      return expectTableRowCountToBeBetween(table, e);
    case "expect_column_values_to_not_be_null":
      return expectColumnValuesToNotBeNull(table, e);
    case "expect_column_values_to_be_between":
      return expectColumnValuesToBeBetween(table, e);
    case "expect_column_values_to_be_in_set":
      return expectColumnValuesToBeInSet(table, e);
    case "expect_column_values_to_match_regex":
      return expectColumnValuesToMatchRegex(table, e);
    case "expect_column_values_to_be_unique":
      return expectColumnValuesToBeUnique(table, e);
    case "expect_column_mean_to_be_between":
      return expectColumnMeanToBeBetween(table, e);
    case "expect_column_stdev_to_be_between":
      return expectColumnStdevToBeBetween(table, e);
    case "expect_column_proportion_of_unique_values_to_be_between":
      return expectColumnProportionOfUniqueValuesToBeBetween(table, e);
    case "expect_column_values_to_be_of_type":
      return expectColumnValuesToBeOfType(table, e);
  }
}

/**
 * Runs every expectation, in order. The suite succeeds unless an error-severity expectation
 * fails; `locations[i]` (the entry's place in the config) is attached to result i.
 */
export function runExpectationSuite(
  table: ExpectationTable,
  expectations: readonly Expectation[],
  opts: { locations?: readonly (SourceLocation | undefined)[] } = {},
): ValidationReport {
  const results = expectations.map((e, i) => {
    const where = opts.locations?.[i];
    const f = runExpectation(table, e);
    return {
      expectation: e.expectation,
      column: "column" in e ? e.column : null,
      success: f.success,
      observed: f.observed,
      unexpectedCount: f.unexpectedCount,
      unexpectedPercent: f.unexpectedPercent,
      unexpectedSample: f.unexpectedSample,
      severity: e.severity,
      ...(where ? { where } : {}),
    };
  });
  return { success: results.every((r) => r.success || r.severity === "warning"), results };
}
