import type { Direction } from "../compare/compare-runs.ts";
import type { PrunerName, Study, StudyTrial } from "./study.ts";

/** What the pruners read of a trial: its number, state and per-epoch values. */
export type PrunableTrial = Pick<StudyTrial, "number" | "state" | "intermediate">;

/** Optuna's `MedianPruner()` defaults. */
export const MEDIAN_DEFAULTS = { nStartupTrials: 5, nWarmupSteps: 0, intervalSteps: 1 } as const;
/** Optuna's `HyperbandPruner()` defaults. */
export const HYPERBAND_DEFAULTS = { minResource: 1, reductionFactor: 3 } as const;

export type MedianOptions = { nStartupTrials: number; nWarmupSteps: number; intervalSteps: number };
export type HyperbandOptions = { minResource: number; reductionFactor: number };

export type PruneDecision =
  | { prune: false; reason: "pruner-none" | "startup" | "warmup" | "off-interval" | "no-peers" | "kept" }
  | { prune: true; reason: "below-median" | "not-promoted" | "nan"; step: number; detail: string };

/**
 * Whether the study's pruner stops `trial` after it reported its value for its last epoch. Only
 * the trial's own history and the other trials' histories are read: the decision is a value.
 */
export function pruneTrial(
  study: Pick<Study, "name" | "pruner" | "objective" | "maxEpochs"> & { trials: readonly PrunableTrial[] },
  trial: PrunableTrial,
  options: { median?: Partial<MedianOptions>; hyperband?: Partial<HyperbandOptions> } = {},
): PruneDecision {
  const direction = study.objective.intermediate.direction;
  switch (study.pruner as PrunerName) {
    case "none":
      return { prune: false, reason: "pruner-none" };
    case "median":
      return pruneMedian(study.trials, trial, direction, { ...MEDIAN_DEFAULTS, ...options.median });
    case "hyperband": {
      const opts = { ...HYPERBAND_DEFAULTS, ...options.hyperband };
      const bracket = hyperbandBracket(study.name, trial.number, study.maxEpochs, opts);
      const peers = study.trials.filter(
        (t) => hyperbandBracket(study.name, t.number, study.maxEpochs, opts) === bracket,
      );
      return pruneSuccessiveHalving(peers, trial, direction, { ...opts, minEarlyStoppingRate: bracket });
    }
  }
}

/**
 * Median rule: stop when the trial's best value so far is worse than the median of the complete
 * trials' values at the same epoch. Needs nStartupTrials complete trials first.
 */
export function pruneMedian(
  trials: readonly PrunableTrial[],
  trial: PrunableTrial,
  direction: Direction,
  options: MedianOptions,
): PruneDecision {
  const step = trial.intermediate.length;
  if (step === 0 || step <= options.nWarmupSteps) return { prune: false, reason: "warmup" };
  if ((step - options.nWarmupSteps - 1) % options.intervalSteps !== 0)
    return { prune: false, reason: "off-interval" };
  const complete = trials.filter((t) => t.state === "complete" && t.number !== trial.number);
  if (complete.length < options.nStartupTrials) return { prune: false, reason: "startup" };
  const own = trial.intermediate.filter((v): v is number => v !== null);
  if (own.length === 0 || trial.intermediate.at(-1) === null)
    return { prune: true, reason: "nan", step, detail: "the value is not a number" };
  const best = direction === "maximize" ? Math.max(...own) : Math.min(...own);
  const peers = complete
    .map((t) => t.intermediate[step - 1])
    .filter((v): v is number => typeof v === "number");
  if (peers.length === 0) return { prune: false, reason: "no-peers" };
  const median = percentile(peers, 50);
  const worse = direction === "maximize" ? best < median : best > median;
  return worse
    ? {
        prune: true,
        reason: "below-median",
        step,
        detail: `best ${fmt(best)} is worse than the median ${fmt(median)} at epoch ${step}`,
      }
    : { prune: false, reason: "kept" };
}

/**
 * Asynchronous successive halving: rung k sits at minResource·η^(rate+k) epochs; a trial that
 * reaches a rung carries on only if its value there is among the best 1/η of every trial that
 * reached that rung (itself included), and at least the best one.
 */
export function pruneSuccessiveHalving(
  trials: readonly PrunableTrial[],
  trial: PrunableTrial,
  direction: Direction,
  options: HyperbandOptions & { minEarlyStoppingRate: number },
): PruneDecision {
  const step = trial.intermediate.length;
  const value = trial.intermediate[step - 1];
  for (let rung = 0; ; rung++) {
    const rungStep = options.minResource * options.reductionFactor ** (options.minEarlyStoppingRate + rung);
    if (rungStep > step) return { prune: false, reason: "kept" };
    if (rungStep !== step) continue;
    if (value === null || value === undefined)
      return { prune: true, reason: "nan", step, detail: "the value is not a number" };
    const competing = [
      value,
      ...trials
        .filter((t) => t.number !== trial.number && t.intermediate.length >= rungStep)
        .map((t) => t.intermediate[rungStep - 1])
        .filter((v): v is number => typeof v === "number"),
    ].sort((a, b) => a - b);
    const index = Math.max(0, Math.floor(competing.length / options.reductionFactor) - 1);
    const promotable =
      direction === "maximize"
        ? value >= competing[competing.length - 1 - index]!
        : value <= competing[index]!;
    if (promotable) return { prune: false, reason: "kept" };
    return {
      prune: true,
      reason: "not-promoted",
      step,
      detail: `${fmt(value)} is not in the best 1/${options.reductionFactor} of ${competing.length} trials at epoch ${step}`,
    };
  }
}

/**
 * Hyperband's bracket of a trial: brackets differ in how early their first rung sits; trials are
 * spread over them in proportion to each bracket's budget, by a hash of study name and number.
 */
export function hyperbandBracket(
  studyName: string,
  number: number,
  maxEpochs: number,
  options: HyperbandOptions,
): number {
  const n = Math.max(
    1,
    Math.floor(Math.log(maxEpochs / options.minResource) / Math.log(options.reductionFactor) + 1e-9) + 1,
  );
  const budgets = Array.from({ length: n }, (_, i) => {
    const s = n - 1 - i;
    return Math.ceil((n * options.reductionFactor ** s) / (s + 1));
  });
  const total = budgets.reduce((a, b) => a + b, 0);
  let slot = fnv1a(`${studyName}_${number}`) % total;
  for (let i = 0; i < n; i++) {
    if (slot < budgets[i]!) return i;
    slot -= budgets[i]!;
  }
  return n - 1;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Linear-interpolation percentile (numpy's default). */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

/**
 * Sets `epoch`'s value (1-based) in a trial's per-epoch values, in place: later values are
 * dropped (a trial that resumed from an earlier checkpoint reports them again), missing earlier
 * ones are null, and so is a value that is not a finite number.
 */
export function setEpochValue(intermediate: (number | null)[], epoch: number, value: unknown): void {
  while (intermediate.length < epoch - 1) intermediate.push(null);
  intermediate.length = epoch - 1;
  intermediate.push(typeof value === "number" && Number.isFinite(value) ? value : null);
}
