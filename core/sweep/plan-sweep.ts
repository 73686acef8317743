import type { SearchDimension } from "../config/schema.ts";
import { mulberry32 } from "../data/split.ts";

export type SweepValue = number | string | boolean;

/** One trial of a sweep: its id (`t01`…) and the params it trains with, keyed like `train.search`. */
export type Trial = { id: string; params: Record<string, SweepValue> };

export type SweepSampler = "random" | "grid";

export type PlanSweepOptions = {
  trials: number;
  sampler: SweepSampler;
  seed: number;
  /** Points per continuous range in a grid sweep (integer ranges use every integer up to this many). */
  gridPoints?: number;
};

export type PlanSweepResult =
  | { ok: true; trials: Trial[]; spaceSize: number | null }
  | { ok: false; reason: "empty-search-space" | "too-many-trials" | "invalid-trial-count"; message: string };

/** GitHub runs at most 256 jobs from one matrix. */
export const MAX_TRIALS = 256;

/**
 * Draws trials from the bounded search space: `random` samples every dimension (log-uniform when
 * `log`), `grid` walks the cartesian product of each dimension's points, spread evenly when the
 * grid is larger than `trials`. Same space, options and seed: same trials.
 */
export function planSweep(
  search: Readonly<Record<string, SearchDimension>>,
  options: PlanSweepOptions,
): PlanSweepResult {
  const names = Object.keys(search).sort();
  if (names.length === 0) {
    return {
      ok: false,
      reason: "empty-search-space",
      message: "train.search is empty: a sweep needs at least one parameter with bounds",
    };
  }
  if (!Number.isInteger(options.trials) || options.trials < 1) {
    return {
      ok: false,
      reason: "invalid-trial-count",
      message: `trials must be a positive integer (got ${options.trials})`,
    };
  }
  if (options.trials > MAX_TRIALS) {
    return {
      ok: false,
      reason: "too-many-trials",
      message: `at most ${MAX_TRIALS} trials fit one workflow matrix (got ${options.trials})`,
    };
  }
  const dims = names.map((name) => [name, search[name]!] as const);
  return options.sampler === "grid" ? gridTrials(search, options) : randomTrials(dims, options);
}

function trialId(i: number, total: number): string {
  return `t${String(i + 1).padStart(Math.max(2, String(total).length), "0")}`;
}

function tidy(x: number): number {
  return Number(x.toPrecision(6));
}

function sample(dim: SearchDimension, rand: () => number): SweepValue {
  if ("values" in dim) return dim.values[Math.floor(rand() * dim.values.length)]!;
  if (dim.integer) {
    const lo = Math.ceil(dim.min);
    const hi = Math.floor(dim.max);
    if (dim.log && lo > 0)
      return Math.min(hi, Math.max(lo, Math.round(Math.exp(uniform(Math.log(lo), Math.log(hi), rand)))));
    return lo + Math.floor(rand() * (hi - lo + 1));
  }
  const x =
    dim.log && dim.min > 0
      ? Math.exp(uniform(Math.log(dim.min), Math.log(dim.max), rand))
      : uniform(dim.min, dim.max, rand);
  return Math.min(dim.max, Math.max(dim.min, tidy(x)));
}

function uniform(lo: number, hi: number, rand: () => number): number {
  return lo + (hi - lo) * rand();
}

function randomTrials(
  dims: readonly (readonly [string, SearchDimension])[],
  options: PlanSweepOptions,
): PlanSweepResult {
  const rand = mulberry32(options.seed);
  const seen = new Set<string>();
  const trials: Trial[] = [];
  // Small discrete spaces run out of new points; stop drawing rather than repeat a trial.
  for (let attempt = 0; trials.length < options.trials && attempt < options.trials * 50; attempt++) {
    const params: Record<string, SweepValue> = {};
    for (const [name, dim] of dims) params[name] = sample(dim, rand);
    const key = JSON.stringify(params);
    if (seen.has(key)) continue;
    seen.add(key);
    trials.push({ id: "", params });
  }
  return {
    ok: true,
    trials: trials.map((t, i) => ({ ...t, id: trialId(i, trials.length) })),
    spaceSize: null,
  };
}

/** The points a grid sweep takes along one dimension. */
export function gridPoints(dim: SearchDimension, points: number): SweepValue[] {
  if ("values" in dim) return [...dim.values];
  if (dim.min === dim.max) return [dim.min];
  if (dim.integer) {
    const lo = Math.ceil(dim.min);
    const hi = Math.floor(dim.max);
    if (hi - lo + 1 <= points) return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    return [...new Set(spread(lo, hi, points, dim.log).map((x) => Math.round(x)))];
  }
  return spread(dim.min, dim.max, points, dim.log).map(tidy);
}

function spread(lo: number, hi: number, points: number, log: boolean): number[] {
  const n = Math.max(2, points);
  if (log && lo > 0) {
    const a = Math.log(lo);
    const b = Math.log(hi);
    return Array.from({ length: n }, (_, i) => Math.exp(a + ((b - a) * i) / (n - 1)));
  }
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** A grid's axes: each dimension's points, in the order of the names given. */
export type GridAxes = readonly (readonly [string, SweepValue[]])[];

/** The axes of the grid over `search`, dimensions sorted by name. */
export function gridAxes(search: Readonly<Record<string, SearchDimension>>, points: number): GridAxes {
  return Object.keys(search)
    .sort()
    .map((name) => [name, gridPoints(search[name]!, points)] as const);
}

/** How many points the grid has. */
export function gridSize(axes: GridAxes): number {
  return axes.reduce((n, [, pts]) => n * pts.length, 1);
}

/** The grid's point at `index` (the last axis varies fastest), keyed in axis order. */
export function gridPointAt(axes: GridAxes, index: number): Record<string, SweepValue> {
  const params: Record<string, SweepValue> = {};
  let rest = index;
  for (let d = axes.length - 1; d >= 0; d--) {
    const [name, pts] = axes[d]!;
    params[name] = pts[rest % pts.length]!;
    rest = Math.floor(rest / pts.length);
  }
  return Object.fromEntries(axes.map(([name]) => [name, params[name]!]));
}

function gridTrials(
  search: Readonly<Record<string, SearchDimension>>,
  options: PlanSweepOptions,
): PlanSweepResult {
  const axes = gridAxes(search, options.gridPoints ?? 3);
  const size = gridSize(axes);
  const count = Math.min(options.trials, size);
  // Evenly strided indices into the grid (all of it when it fits).
  const picks = Array.from({ length: count }, (_, i) => Math.floor((i * size) / count));
  const trials = picks.map((index, i) => ({ id: trialId(i, count), params: gridPointAt(axes, index) }));
  return { ok: true, trials, spaceSize: size };
}
