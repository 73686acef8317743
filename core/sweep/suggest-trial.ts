import type { SearchDimension } from "../config/schema.ts";
import { mulberry32 } from "../data/split.ts";
import type { SweepValue } from "./plan-sweep.ts";
import { sampleGrid } from "./sample-grid.ts";
import { sampleTpe, TPE_DEFAULTS, type TpeOptions } from "./sample-tpe.ts";
import { sampleUniform, toSpace } from "./search-space.ts";
import type { Study } from "./study.ts";

export type SuggestResult =
  | { ok: true; params: Record<string, SweepValue> }
  | { ok: false; reason: "grid-exhausted" | "empty-search-space"; message: string };

/**
 * Params for the study's next trial from its sampler, given every trial so far (running ones
 * included). The generator is seeded by the study seed and the trial number, so a study that
 * resumes proposes what it would have proposed.
 */
export function suggestTrial(
  study: Study,
  options: { number: number; tpe?: Partial<TpeOptions> },
): SuggestResult {
  const search = study.space as Record<string, SearchDimension>;
  const space = toSpace(search);
  if (space.length === 0) {
    return {
      ok: false,
      reason: "empty-search-space",
      message: "train.search is empty: a study needs at least one parameter",
    };
  }
  const rand = mulberry32(trialSeed(study.seed, options.number));
  switch (study.sampler) {
    case "random":
      return { ok: true, params: Object.fromEntries(space.map((d) => [d.name, sampleUniform(d, rand)])) };
    case "grid": {
      const params = sampleGrid(search, study.trials, rand, { gridPoints: study.gridPoints });
      return params
        ? { ok: true, params }
        : { ok: false, reason: "grid-exhausted", message: "every point of the grid has a trial" };
    }
    case "tpe":
      return {
        ok: true,
        params: sampleTpe(space, study.trials, study.objective, rand, { ...TPE_DEFAULTS, ...options.tpe }),
      };
  }
}

/** A 32-bit seed per (study seed, trial number); distinct pairs give unrelated streams. */
export function trialSeed(seed: number, number: number): number {
  return mix32((mix32(seed) + Math.imul(number + 1, 0x9e3779b9)) >>> 0);
}

/** A 32-bit integer hash with good avalanche (the "lowbias32" constants of Wellons' hash prospector). */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
