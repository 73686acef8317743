import { isMissing, toNumber } from "../../features/preprocessor.ts";
import {
  UNEXPECTED_SAMPLE_LIMIT,
  missingColumn,
  type Finding,
  type UnexpectedValue,
} from "./expectation-result.ts";
import type { Expectation } from "./expectation-schema.ts";
import type { ExpectationTable } from "./expectation-table.ts";
import { valueKey } from "./value-key.ts";
import { withinBounds } from "./within-bounds.ts";

type Of<N extends Expectation["expectation"]> = Extract<Expectation, { expectation: N }>;

type Numeric = { numbers: number[]; nonNumeric: UnexpectedValue[]; nonNumericCount: number; nonNull: number };

/** The column's non-null values as numbers; values that are not numbers are what is unexpected. */
function numericValues(table: ExpectationTable, values: readonly unknown[]): Numeric {
  const out: Numeric = { numbers: [], nonNumeric: [], nonNumericCount: 0, nonNull: 0 };
  values.forEach((v, i) => {
    if (isMissing(v)) return;
    out.nonNull += 1;
    const n = toNumber(v);
    if (n !== undefined) out.numbers.push(n);
    else {
      out.nonNumericCount += 1;
      if (out.nonNumeric.length < UNEXPECTED_SAMPLE_LIMIT)
        out.nonNumeric.push({ ...table.origin(i), value: v });
    }
  });
  return out;
}

/** An aggregate over numbers: fails when any non-null value is not a number, or when there is no statistic. */
function statistic(
  table: ExpectationTable,
  e: Of<"expect_column_mean_to_be_between" | "expect_column_stdev_to_be_between">,
  compute: (xs: number[]) => number | null,
): Finding {
  const values = table.column(e.column);
  if (!values) return missingColumn();
  const n = numericValues(table, values);
  const observed = n.nonNumericCount > 0 ? null : compute(n.numbers);
  return {
    success: observed !== null && withinBounds(observed, e),
    observed,
    unexpectedCount: n.nonNumericCount,
    unexpectedPercent: n.nonNull === 0 ? 0 : (n.nonNumericCount / n.nonNull) * 100,
    unexpectedSample: n.nonNumeric,
  };
}

/** Arithmetic mean, summed with Kahan compensation so long columns do not drift. */
export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let sum = 0;
  let c = 0;
  for (const x of xs) {
    const y = x - c;
    const t = sum + y;
    c = t - sum - y;
    sum = t;
  }
  return sum / xs.length;
}

/** Sample standard deviation (divisor n - 1, as pandas and GE use), by Welford's one-pass update. */
export function sampleStdev(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  let m = 0;
  let m2 = 0;
  xs.forEach((x, i) => {
    const d = x - m;
    m += d / (i + 1);
    m2 += d * (x - m);
  });
  return Math.sqrt(m2 / (xs.length - 1));
}

/** The mean of the non-null values is within the bounds. */
export function expectColumnMeanToBeBetween(
  table: ExpectationTable,
  e: Of<"expect_column_mean_to_be_between">,
): Finding {
  return statistic(table, e, mean);
}

/** The sample standard deviation of the non-null values is within the bounds (needs two values). */
export function expectColumnStdevToBeBetween(
  table: ExpectationTable,
  e: Of<"expect_column_stdev_to_be_between">,
): Finding {
  return statistic(table, e, sampleStdev);
}

/** Distinct non-null values divided by non-null values is within the bounds. */
export function expectColumnProportionOfUniqueValuesToBeBetween(
  table: ExpectationTable,
  e: Of<"expect_column_proportion_of_unique_values_to_be_between">,
): Finding {
  const values = table.column(e.column);
  if (!values) return missingColumn();
  const distinct = new Set<string>();
  let nonNull = 0;
  for (const v of values) {
    if (isMissing(v)) continue;
    nonNull += 1;
    distinct.add(valueKey(v));
  }
  const observed = nonNull === 0 ? null : distinct.size / nonNull;
  return {
    success: observed !== null && withinBounds(observed, e),
    observed,
    unexpectedCount: 0,
    unexpectedPercent: 0,
    unexpectedSample: [],
  };
}
