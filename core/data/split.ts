import { ModelshipError } from "../errors.ts";

/** mulberry32: a tiny deterministic PRNG; the same seed gives the same stream on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Indices 0..n-1 in a seeded Fisher–Yates order. */
export function shuffledIndices(n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

export type Split = { train: number[]; validation: number[] };

/** Seeded shuffle then split: the last `validationSplit` share of the shuffled rows validates. */
export function splitTrainValidation(
  rowCount: number,
  opts: { validationSplit: number; seed: number },
): Split {
  if (rowCount < 2) {
    throw new ModelshipError({
      code: "data-too-small",
      message: `need at least 2 rows to split into training and validation, got ${rowCount}`,
      hint: "Add data to data.source.",
    });
  }
  const order = shuffledIndices(rowCount, opts.seed);
  const nVal = Math.min(rowCount - 1, Math.max(1, Math.round(rowCount * opts.validationSplit)));
  return { train: order.slice(0, rowCount - nVal), validation: order.slice(rowCount - nVal) };
}

/**
 * Streaming split: row `index` (0-based position in the snapshot) validates when a seeded hash of
 * (seed, index) falls below `validationSplit`. Each row is decided on its own, so the split needs
 * no row count and no rows in memory; the validation share is `validationSplit` in expectation,
 * not exactly (unlike `splitTrainValidation`, which picks exactly round(n × split) rows).
 */
export function isValidationRow(index: number, opts: { validationSplit: number; seed: number }): boolean {
  return hashUnit(index, opts.seed) < opts.validationSplit;
}

/** A 32-bit mix (murmur3's finaliser) of seed and index, as a number in [0, 1). */
function hashUnit(index: number, seed: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ (index >>> 0) ^ Math.floor(index / 4294967296)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
