import type { ExpectationTable, RowOrigin } from "./expectation-table.ts";

/** Most unexpected values a result lists. */
export const UNEXPECTED_SAMPLE_LIMIT = 20;

/** One unexpected value and where it is in its source. */
export type UnexpectedValue = RowOrigin & { value: unknown };

/** What an expectation found, whatever its severity. */
export type Finding = {
  success: boolean;
  /** Aggregates: the measured value; column-map expectations: the share of non-null values that pass; exist: the column's position. */
  observed: number | null;
  unexpectedCount: number;
  /** Percent (0-100) of the non-null values (of every row for not-null). */
  unexpectedPercent: number;
  unexpectedSample: UnexpectedValue[];
};

/** A finding that found the column missing: GE fails every column expectation on a missing column. */
export function missingColumn(): Finding {
  return { success: false, observed: null, unexpectedCount: 0, unexpectedPercent: 0, unexpectedSample: [] };
}

/**
 * GE's column-map semantics: nulls are skipped (unless `countNulls`), each remaining value passes
 * or not, and the expectation holds when the passing share of them is at least `mostly`.
 */
export function columnMap(opts: {
  table: ExpectationTable;
  values: readonly unknown[];
  mostly: number;
  isNull: (v: unknown) => boolean;
  passes: (v: unknown, index: number) => boolean;
  /** not_be_null: nulls are what is checked, so every row counts. */
  countNulls?: boolean;
}): Finding {
  let checked = 0;
  let unexpected = 0;
  const sample: UnexpectedValue[] = [];
  opts.values.forEach((v, i) => {
    if (!opts.countNulls && opts.isNull(v)) return;
    checked += 1;
    if (opts.passes(v, i)) return;
    unexpected += 1;
    if (sample.length < UNEXPECTED_SAMPLE_LIMIT) sample.push({ ...opts.table.origin(i), value: v ?? null });
  });
  const passing = checked === 0 ? 1 : (checked - unexpected) / checked;
  return {
    // GE: an expectation on no non-null values holds (nothing is unexpected).
    success: passing >= opts.mostly,
    observed: passing,
    unexpectedCount: unexpected,
    unexpectedPercent: checked === 0 ? 0 : (unexpected / checked) * 100,
    unexpectedSample: sample,
  };
}

/** A finding for an aggregate (row count, mean, stdev, unique share): no values are unexpected. */
export function aggregate(observed: number | null, success: boolean): Finding {
  return { success, observed, unexpectedCount: 0, unexpectedPercent: 0, unexpectedSample: [] };
}
