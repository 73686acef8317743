import type { TestResult } from "./chi-squared-test.ts";
import { normalTwoSidedP } from "./regularized-gamma.ts";

/**
 * Two-sided z-test for the difference of two proportions with the pooled variance, for a column
 * with two values: the share of `value` among the reference rows against its share among the
 * current rows. Both sides holding one and the same value is no difference (p = 1).
 */
export function zTestProportions(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): TestResult {
  const keys = [...new Set([...reference.keys(), ...current.keys()])].sort();
  const n1 = total(reference);
  const n2 = total(current);
  const value = keys[0];
  if (value === undefined || n1 === 0 || n2 === 0) return { statistic: 0, pValue: 1 };
  const p1 = (reference.get(value) ?? 0) / n1;
  const p2 = (current.get(value) ?? 0) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (variance === 0) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / Math.sqrt(variance);
  return { statistic: z, pValue: normalTwoSidedP(z) };
}

function total(counts: ReadonlyMap<string, number>): number {
  let s = 0;
  for (const v of counts.values()) s += v;
  return s;
}
