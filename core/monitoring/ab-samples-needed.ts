import { normalQuantile } from "./ab-distributions.ts";
import type { ProportionSample } from "./ab-two-proportion.ts";
import type { MeanSample } from "./ab-welch-t-test.ts";

/** Significance level and power of the sample-size estimates (the usual 5% and 80%). */
export const AB_DEFAULTS = { alpha: 0.05, power: 0.8 } as const;

/**
 * Labelled requests needed per variant for a two-sided two-proportion z-test to detect the
 * observed difference at `alpha` with `power`; null when there is no difference to detect.
 */
export function samplesNeededProportions(
  stable: ProportionSample,
  candidate: ProportionSample,
  o: { alpha?: number; power?: number } = {},
): number | null {
  if (stable.trials === 0 || candidate.trials === 0) return null;
  const p1 = stable.successes / stable.trials;
  const p2 = candidate.successes / candidate.trials;
  const delta = Math.abs(p2 - p1);
  if (delta === 0) return null;
  const { za, zb } = quantiles(o);
  const pBar = (p1 + p2) / 2;
  const root = za * Math.sqrt(2 * pBar * (1 - pBar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return Math.ceil((root * root) / (delta * delta));
}

/** Values needed per variant for a two-sided test of two means to detect the observed difference. */
export function samplesNeededMeans(
  stable: MeanSample,
  candidate: MeanSample,
  o: { alpha?: number; power?: number } = {},
): number | null {
  const delta = Math.abs(candidate.mean - stable.mean);
  if (delta === 0 || stable.n < 2 || candidate.n < 2) return null;
  const { za, zb } = quantiles(o);
  return Math.ceil(((za + zb) ** 2 * (stable.variance + candidate.variance)) / (delta * delta));
}

function quantiles(o: { alpha?: number; power?: number }): { za: number; zb: number } {
  const alpha = o.alpha ?? AB_DEFAULTS.alpha;
  const power = o.power ?? AB_DEFAULTS.power;
  return { za: normalQuantile(1 - alpha / 2), zb: normalQuantile(power) };
}
