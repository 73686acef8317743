import type { SearchDimension } from "../config/schema.ts";
import type { SweepValue } from "./plan-sweep.ts";

/** One search dimension in the form the samplers work with. */
export type SpaceDim =
  | { kind: "float"; name: string; low: number; high: number; log: boolean }
  | { kind: "int"; name: string; low: number; high: number; log: boolean }
  | { kind: "categorical"; name: string; choices: SweepValue[] };

/** `train.search` as sampler dimensions, sorted by name; log scale only where the lower bound is positive. */
export function toSpace(search: Readonly<Record<string, SearchDimension>>): SpaceDim[] {
  return Object.keys(search)
    .sort()
    .map((name): SpaceDim => {
      const dim = search[name]!;
      if ("values" in dim) return { kind: "categorical", name, choices: [...dim.values] };
      if (dim.integer) {
        const low = Math.ceil(dim.min);
        const high = Math.max(low, Math.floor(dim.max));
        return { kind: "int", name, low, high, log: dim.log && low > 0 };
      }
      return { kind: "float", name, low: dim.min, high: dim.max, log: dim.log && dim.min > 0 };
    });
}

/** Six significant digits: what a person reads in a params table, and what a run records. */
export function tidy(x: number): number {
  return Number(x.toPrecision(6));
}

/** One value drawn uniformly (log-uniformly when `log`) from a dimension. */
export function sampleUniform(dim: SpaceDim, rand: () => number): SweepValue {
  switch (dim.kind) {
    case "categorical":
      return dim.choices[Math.min(dim.choices.length - 1, Math.floor(rand() * dim.choices.length))]!;
    case "int": {
      if (!dim.log)
        return dim.low + Math.min(dim.high - dim.low, Math.floor(rand() * (dim.high - dim.low + 1)));
      const a = Math.log(dim.low - 0.5);
      const b = Math.log(dim.high + 0.5);
      return clamp(Math.round(Math.exp(a + (b - a) * rand())), dim.low, dim.high);
    }
    case "float": {
      const x = dim.log
        ? Math.exp(Math.log(dim.low) + (Math.log(dim.high) - Math.log(dim.low)) * rand())
        : dim.low + (dim.high - dim.low) * rand();
      return clamp(tidy(x), dim.low, dim.high);
    }
  }
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
