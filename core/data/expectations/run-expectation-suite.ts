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
import {
  missingColumn,
  type ExpectationAccumulator,
  type Finding,
  type TableFacts,
} from "./expectation-result.ts";
import type { Expectation } from "./expectation-schema.ts";
import type { ExpectationTable, RowOrigin } from "./expectation-table.ts";
import type { ValidationReport } from "./validation-report.ts";

/** The running form of one expectation. */
export function expectationAccumulator(e: Expectation): ExpectationAccumulator {
  switch (e.expectation) {
    case "expect_column_to_exist":
      return expectColumnToExist(e);
    case "expect_table_row_count_to_be_between":
      return expectTableRowCountToBeBetween(e);
    case "expect_column_values_to_not_be_null":
      return expectColumnValuesToNotBeNull(e);
    case "expect_column_values_to_be_between":
      return expectColumnValuesToBeBetween(e);
    case "expect_column_values_to_be_in_set":
      return expectColumnValuesToBeInSet(e);
    case "expect_column_values_to_match_regex":
      return expectColumnValuesToMatchRegex(e);
    case "expect_column_values_to_be_unique":
      return expectColumnValuesToBeUnique(e);
    case "expect_column_mean_to_be_between":
      return expectColumnMeanToBeBetween(e);
    case "expect_column_stdev_to_be_between":
      return expectColumnStdevToBeBetween(e);
    case "expect_column_proportion_of_unique_values_to_be_between":
      return expectColumnProportionOfUniqueValuesToBeBetween(e);
    case "expect_column_values_to_be_of_type":
      return expectColumnValuesToBeOfType(e);
  }
}

/** A column expectation on a column no row has fails; anything else finishes on the facts. */
function conclude(acc: ExpectationAccumulator, facts: TableFacts): Finding {
  if (acc.column !== undefined && !facts.columns.includes(acc.column)) return missingColumn();
  return acc.finish(facts);
}

/** Runs one expectation on the table. */
export function runExpectation(table: ExpectationTable, e: Expectation): Finding {
  const acc = expectationAccumulator(e);
  const values = acc.column === undefined ? undefined : table.column(acc.column);
  values?.forEach((v, i) => acc.add(v, i));
  return conclude(acc, table);
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
  return suiteReport(
    expectations,
    expectations.map((e) => runExpectation(table, e)),
    opts.locations,
  );
}

/** The suite fed one row at a time, as rows stream by: the same report `runExpectationSuite` gives. */
export type SuiteAccumulator = {
  add(row: Readonly<Record<string, unknown>>): void;
  /** `origin(i)`: the source row of the i-th row added, for the unexpected samples. */
  finish(
    origin: (index: number) => RowOrigin,
    opts?: { locations?: readonly (SourceLocation | undefined)[] },
  ): ValidationReport;
};

/**
 * Runs the suite in one pass over a stream of rows, holding each expectation's running counts
 * (and, for unique and unique-share expectations, the distinct values of their column).
 */
export function createSuiteAccumulator(expectations: readonly Expectation[]): SuiteAccumulator {
  const accs = expectations.map(expectationAccumulator);
  const seen = new Set<string>();
  const columns: string[] = [];
  let rowCount = 0;
  return {
    add(row) {
      for (const k of Object.keys(row)) {
        if (seen.has(k)) continue;
        seen.add(k);
        columns.push(k);
      }
      for (const acc of accs) acc.add(acc.column === undefined ? undefined : row[acc.column], rowCount);
      rowCount += 1;
    },
    finish(origin, opts = {}) {
      const facts: TableFacts = { rowCount, columns, origin };
      return suiteReport(
        expectations,
        accs.map((acc) => conclude(acc, facts)),
        opts.locations,
      );
    },
  };
}

function suiteReport(
  expectations: readonly Expectation[],
  findings: readonly Finding[],
  locations: readonly (SourceLocation | undefined)[] | undefined,
): ValidationReport {
  const results = expectations.map((e, i) => {
    const where = locations?.[i];
    const f = findings[i]!;
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
