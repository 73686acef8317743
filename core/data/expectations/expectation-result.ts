import type { RowOrigin } from "./expectation-table.ts";

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

/** What every expectation may ask once all rows went by. */
export type TableFacts = {
  rowCount: number;
  /** Every column seen, in first-seen order. */
  columns: readonly string[];
  origin(index: number): RowOrigin;
};

/**
 * One expectation, fed in row order: `add` gets the value of its `column` in each row (undefined
 * where the row lacks it; table expectations have no column and get undefined), `finish` the
 * facts of the whole table. Holding running counts, not the values, it works on a stream of
 * rows and on a table alike.
 */
export type ExpectationAccumulator = {
  column: string | undefined;
  add(value: unknown, index: number): void;
  finish(facts: TableFacts): Finding;
};

/** A value remembered by row index until the origins are known. */
export type IndexedValue = { index: number; value: unknown };

/** The sample of unexpected values, with their source rows. */
export function located(facts: TableFacts, sample: readonly IndexedValue[]): UnexpectedValue[] {
  return sample.map((s) => ({ ...facts.origin(s.index), value: s.value }));
}

/** A finding that found the column missing: GE fails every column expectation on a missing column. */
export function missingColumn(): Finding {
  return { success: false, observed: null, unexpectedCount: 0, unexpectedPercent: 0, unexpectedSample: [] };
}

/**
 * GE's column-map semantics: nulls are skipped (unless `countNulls`), each remaining value passes
 * or not, and the expectation holds when the passing share of them is at least `mostly`.
 */
export function columnMap(opts: {
  column: string;
  mostly: number;
  isNull: (v: unknown) => boolean;
  passes: (v: unknown) => boolean;
  /** not_be_null: nulls are what is checked, so every row counts. */
  countNulls?: boolean;
}): ExpectationAccumulator {
  let checked = 0;
  let unexpected = 0;
  const sample: IndexedValue[] = [];
  return {
    column: opts.column,
    add(v, index) {
      if (!opts.countNulls && opts.isNull(v)) return;
      checked += 1;
      if (opts.passes(v)) return;
      unexpected += 1;
      if (sample.length < UNEXPECTED_SAMPLE_LIMIT) sample.push({ index, value: v ?? null });
    },
    finish: (facts) => mapFinding(checked, unexpected, opts.mostly, located(facts, sample)),
  };
}

/** The finding of a column-map expectation from its counts. */
export function mapFinding(
  checked: number,
  unexpected: number,
  mostly: number,
  sample: UnexpectedValue[],
): Finding {
  const passing = checked === 0 ? 1 : (checked - unexpected) / checked;
  return {
    // GE: an expectation on no non-null values holds (nothing is unexpected).
    success: passing >= mostly,
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

/** An expectation on the table as a whole: it reads no values, only the facts. */
export function tableLevel(finish: (facts: TableFacts) => Finding): ExpectationAccumulator {
  return { column: undefined, add: () => undefined, finish };
}
