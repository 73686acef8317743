import { isMissing, toNumber } from "../../features/preprocessor.ts";
import {
  aggregate,
  located,
  UNEXPECTED_SAMPLE_LIMIT,
  type ExpectationAccumulator,
  type IndexedValue,
} from "./expectation-result.ts";
import type { Expectation } from "./expectation-schema.ts";
import { valueKey } from "./value-key.ts";
import { withinBounds } from "./within-bounds.ts";

type Of<N extends Expectation["expectation"]> = Extract<Expectation, { expectation: N }>;

/** A statistic updated one number at a time. */
type Running = { add(x: number): void; value(): number | null };

/** Arithmetic mean, summed with Kahan compensation so long columns do not drift. */
export function runningMean(): Running {
  let sum = 0;
  let c = 0;
  let n = 0;
  return {
    add(x) {
      const y = x - c;
      const t = sum + y;
      c = t - sum - y;
      sum = t;
      n += 1;
    },
    value: () => (n === 0 ? null : sum / n),
  };
}

/** Sample standard deviation (divisor n - 1, as pandas and GE use), by Welford's one-pass update. */
export function runningSampleStdev(): Running {
  let m = 0;
  let m2 = 0;
  let n = 0;
  return {
    add(x) {
      n += 1;
      const d = x - m;
      m += d / n;
      m2 += d * (x - m);
    },
    value: () => (n < 2 ? null : Math.sqrt(m2 / (n - 1))),
  };
}

/**
 * An aggregate over the column's non-null numbers: fails when any non-null value is not a number
 * (those are what is unexpected), or when there is no statistic.
 */
function statistic(
  e: Of<"expect_column_mean_to_be_between" | "expect_column_stdev_to_be_between">,
  stat: Running,
): ExpectationAccumulator {
  let nonNull = 0;
  let nonNumericCount = 0;
  const nonNumeric: IndexedValue[] = [];
  return {
    column: e.column,
    add(v, index) {
      if (isMissing(v)) return;
      nonNull += 1;
      const n = toNumber(v);
      if (n !== undefined) stat.add(n);
      else {
        nonNumericCount += 1;
        if (nonNumeric.length < UNEXPECTED_SAMPLE_LIMIT) nonNumeric.push({ index, value: v });
      }
    },
    finish(facts) {
      const observed = nonNumericCount > 0 ? null : stat.value();
      return {
        success: observed !== null && withinBounds(observed, e),
        observed,
        unexpectedCount: nonNumericCount,
        unexpectedPercent: nonNull === 0 ? 0 : (nonNumericCount / nonNull) * 100,
        unexpectedSample: located(facts, nonNumeric),
      };
    },
  };
}

/** The mean of the non-null values is within the bounds. */
export function expectColumnMeanToBeBetween(
  e: Of<"expect_column_mean_to_be_between">,
): ExpectationAccumulator {
  return statistic(e, runningMean());
}

/** The sample standard deviation of the non-null values is within the bounds (needs two values). */
export function expectColumnStdevToBeBetween(
  e: Of<"expect_column_stdev_to_be_between">,
): ExpectationAccumulator {
  return statistic(e, runningSampleStdev());
}

/** Distinct non-null values divided by non-null values is within the bounds. */
export function expectColumnProportionOfUniqueValuesToBeBetween(
  e: Of<"expect_column_proportion_of_unique_values_to_be_between">,
): ExpectationAccumulator {
  const distinct = new Set<string>();
  let nonNull = 0;
  return {
    column: e.column,
    add(v) {
      if (isMissing(v)) return;
      nonNull += 1;
      distinct.add(valueKey(v));
    },
    finish() {
      const observed = nonNull === 0 ? null : distinct.size / nonNull;
      return aggregate(observed, observed !== null && withinBounds(observed, e));
    },
  };
}
