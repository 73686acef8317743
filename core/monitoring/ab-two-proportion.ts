import { normalTwoSidedP } from "./ab-distributions.ts";

/** Successes out of trials for one variant (e.g. correct answers out of labelled requests). */
export type ProportionSample = { successes: number; trials: number };

export type TwoProportionResult = {
  /** Candidate's share minus stable's. */
  difference: number;
  z: number;
  pValue: number;
};

/**
 * Two-sided two-proportion z-test with the pooled variance: is the candidate's success rate
 * different from the stable one's? No variance (both all right or all wrong, or an empty side)
 * is no evidence: z = 0, p = 1.
 */
export function twoProportionZTest(
  stable: ProportionSample,
  candidate: ProportionSample,
): TwoProportionResult {
  const n1 = stable.trials;
  const n2 = candidate.trials;
  if (n1 === 0 || n2 === 0) return { difference: 0, z: 0, pValue: 1 };
  const p1 = stable.successes / n1;
  const p2 = candidate.successes / n2;
  const pooled = (stable.successes + candidate.successes) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (variance === 0) return { difference: p2 - p1, z: 0, pValue: 1 };
  const z = (p2 - p1) / Math.sqrt(variance);
  return { difference: p2 - p1, z, pValue: normalTwoSidedP(z) };
}
