import type { Direction } from "../compare/compare-runs.ts";
import {
  buildParzen,
  internalBounds,
  logPdfParzen,
  sampleParzen,
  type ParzenParams,
} from "./parzen-estimator.ts";
import type { SweepValue } from "./plan-sweep.ts";
import { clamp, sampleUniform, tidy, type SpaceDim } from "./search-space.ts";
import { compareValues, lastStep, type StudyObjective, type StudyTrial } from "./study.ts";

/** TPE settings; the defaults are Optuna's `TPESampler()`. */
export type TpeOptions = ParzenParams & {
  nStartupTrials: number;
  nEiCandidates: number;
  /** How many of n finished trials form the "good" group. */
  gamma: (n: number) => number;
};

export const TPE_DEFAULTS: TpeOptions = {
  nStartupTrials: 10,
  nEiCandidates: 24,
  priorWeight: 1,
  considerMagicClip: true,
  gamma: (n) => Math.min(Math.ceil(0.1 * n), 25),
};

/**
 * Proposes the next trial's params with the Tree-structured Parzen Estimator, each dimension on its
 * own (Optuna's default, univariate). Running trials count as the worst ones (constant liar), so
 * parallel workers do not all draw near the same point. Random until nStartupTrials finished.
 */
export function sampleTpe(
  space: readonly SpaceDim[],
  trials: readonly StudyTrial[],
  objective: StudyObjective,
  rand: () => number,
  options: TpeOptions = TPE_DEFAULTS,
): Record<string, SweepValue> {
  const used = trials.filter((t) => t.state !== "failed");
  const finished = used.filter((t) => t.state !== "running").length;
  const params: Record<string, SweepValue> = {};
  if (finished < options.nStartupTrials) {
    for (const dim of space) params[dim.name] = sampleUniform(dim, rand);
    return params;
  }
  const { below, above } = splitTrials(used, options.gamma(used.length), objective);
  for (const dim of space) {
    const l = buildParzen(
      dim,
      below.map((t) => toInternal(dim, t.params[dim.name])),
      options,
    );
    const g = buildParzen(
      dim,
      above.map((t) => toInternal(dim, t.params[dim.name])),
      options,
    );
    let best = NaN;
    let bestScore = -Infinity;
    for (let i = 0; i < options.nEiCandidates; i++) {
      const x = sampleParzen(l, rand);
      const score = logPdfParzen(l, x) - logPdfParzen(g, x);
      if (score > bestScore || Number.isNaN(best)) {
        best = x;
        bestScore = score;
      }
    }
    params[dim.name] = fromInternal(dim, best);
  }
  return params;
}

/**
 * The good group: the best complete trials, then pruned ones that went furthest (ties by their last
 * value); everything else, running trials included, is the bad group. Both in trial order.
 */
export function splitTrials(
  trials: readonly StudyTrial[],
  nBelow: number,
  objective: StudyObjective,
): { below: StudyTrial[]; above: StudyTrial[] } {
  const complete = trials
    .filter((t) => t.state === "complete" && t.value !== null)
    .sort((a, b) => compareValues(a.value!, b.value!, objective.direction) || a.number - b.number);
  const pruned = trials
    .filter((t) => t.state === "pruned" || (t.state === "complete" && t.value === null))
    .sort((a, b) => lastStep(b) - lastStep(a) || compareLast(a, b, objective.intermediate.direction));
  const ranked = [...complete, ...pruned];
  const below = new Set(ranked.slice(0, nBelow));
  const byNumber = (a: StudyTrial, b: StudyTrial) => a.number - b.number;
  return {
    below: trials.filter((t) => below.has(t)).sort(byNumber),
    above: trials.filter((t) => !below.has(t)).sort(byNumber),
  };
}

function compareLast(a: StudyTrial, b: StudyTrial, direction: Direction): number {
  const va = a.intermediate.at(-1) ?? null;
  const vb = b.intermediate.at(-1) ?? null;
  if (va === null || vb === null) return va === vb ? a.number - b.number : va === null ? 1 : -1;
  return compareValues(va, vb, direction) || a.number - b.number;
}

function toInternal(dim: SpaceDim, value: SweepValue | undefined): number {
  if (dim.kind === "categorical") return Math.max(0, dim.choices.indexOf(value ?? dim.choices[0]!));
  const x = typeof value === "number" ? value : Number(value);
  const { low, high } = internalBounds(dim);
  return clamp(dim.log ? Math.log(x) : x, low, high);
}

function fromInternal(dim: SpaceDim, x: number): SweepValue {
  if (dim.kind === "categorical") return dim.choices[x]!;
  const v = dim.log ? Math.exp(x) : x;
  return dim.kind === "int" ? clamp(Math.round(v), dim.low, dim.high) : clamp(tidy(v), dim.low, dim.high);
}
