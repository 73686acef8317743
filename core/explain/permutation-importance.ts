import type { Direction } from "../compare/compare-runs.ts";
import { mulberry32 } from "../data/split.ts";

/** `modelship explain --json` and `explanation.json`: permutation importance of each raw feature. */
export type Explanation = {
  metric: string;
  /** How many times each feature was shuffled. */
  repeats: number;
  /** The metric on the unshuffled validation rows. */
  baseline: number;
  /** Rows the importance was measured on (the validation split). */
  rows: number;
  seed: number;
  /** Most important first. `importance`: mean drop of the metric (worse is positive); `std`: over repeats (ddof 0). */
  features: Array<{ name: string; importance: number; std: number }>;
};

export type PermutationImportanceInput = {
  /** Raw feature columns (before one-hot encoding or scaling), all of length `rows`. */
  columns: Record<string, readonly unknown[]>;
  rows: number;
  /** The metric computed by the model on (possibly shuffled) columns. */
  score: (columns: Record<string, readonly unknown[]>) => number | Promise<number>;
  metric: string;
  direction: Direction;
  repeats?: number;
  seed?: number;
  /**
   * Row orders to apply, one per repeat (each a permutation of 0..rows-1). Default: one index array
   * shuffled again before each repeat with a seeded generator, the same orders for every feature —
   * the way scikit-learn's permutation_importance draws them.
   */
  orders?: ReadonlyArray<ArrayLike<number>>;
};

/** Default number of shuffles per feature: scikit-learn's n_repeats. */
export const DEFAULT_REPEATS = 5;

/**
 * Permutation importance (Breiman; scikit-learn's `permutation_importance` semantics): for each
 * feature, shuffle its column `repeats` times, keep the others, and record how much the metric gets
 * worse than on the unshuffled rows. A feature the model ignores scores exactly 0.
 */
export async function permutationImportance(input: PermutationImportanceInput): Promise<Explanation> {
  const repeats = input.repeats ?? DEFAULT_REPEATS;
  const seed = input.seed ?? 0;
  const orders = input.orders ?? seededOrders(input.rows, repeats, seed);
  if (orders.length !== repeats || orders.some((o) => o.length !== input.rows)) {
    throw new RangeError(`need ${repeats} row orders of length ${input.rows}`);
  }
  const baseline = await input.score(input.columns);
  const worse = (shuffled: number) =>
    input.direction === "maximize" ? baseline - shuffled : shuffled - baseline;
  const features: Explanation["features"] = [];
  for (const name of Object.keys(input.columns)) {
    const original = input.columns[name]!;
    const drops: number[] = [];
    for (const order of orders) {
      const shuffled = Array.from({ length: input.rows }, (_, i) => original[order[i]!]);
      drops.push(worse(await input.score({ ...input.columns, [name]: shuffled })));
    }
    const mean = drops.reduce((a, b) => a + b, 0) / drops.length;
    const std = Math.sqrt(drops.reduce((a, b) => a + (b - mean) ** 2, 0) / drops.length);
    features.push({ name, importance: mean, std });
  }
  features.sort((a, b) => b.importance - a.importance || (a.name < b.name ? -1 : 1));
  return { metric: input.metric, repeats, baseline, rows: input.rows, seed, features };
}

/** One index array, shuffled (Fisher–Yates, seeded) again before each repeat. */
export function seededOrders(rows: number, repeats: number, seed: number): number[][] {
  const rand = mulberry32(seed);
  const idx = Array.from({ length: rows }, (_, i) => i);
  const out: number[][] = [];
  for (let r = 0; r < repeats; r++) {
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    out.push([...idx]);
  }
  return out;
}
