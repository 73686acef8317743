import { chiSquaredSurvival } from "./regularized-gamma.ts";

export type TestResult = { statistic: number; pValue: number };

/**
 * Pearson's chi-squared goodness of fit of current counts to the reference's proportions, the way
 * Evidently runs it: over every value seen on either side, expected = reference count × (current
 * rows / reference rows), df = values − 1. A value the reference never had makes the statistic
 * infinite (p = 0).
 */
export function chiSquaredTest(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): TestResult {
  const keys = new Set([...reference.keys(), ...current.keys()]);
  const refTotal = sum(reference.values());
  const curTotal = sum(current.values());
  const scale = curTotal / refTotal;
  let statistic = 0;
  for (const k of keys) {
    const expected = (reference.get(k) ?? 0) * scale;
    const observed = current.get(k) ?? 0;
    if (expected === 0) {
      if (observed > 0) statistic = Infinity;
      continue;
    }
    statistic += (observed - expected) ** 2 / expected;
  }
  const df = keys.size - 1;
  if (df < 1) return { statistic: 0, pValue: 1 };
  return { statistic, pValue: chiSquaredSurvival(statistic, df) };
}

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
