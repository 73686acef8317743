import { DDSketch } from "@datadog/sketches-js";

/**
 * Count, mean and sum of squared deviations (M2) of a stream, by Welford's update; `merge` is
 * Chan et al.'s pairwise combination. Population variance is M2 / count. Min and max are exact.
 */
export type RunningMoments = { count: number; mean: number; m2: number; min: number; max: number };

export function emptyMoments(): RunningMoments {
  return { count: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity };
}

export function addMoment(s: RunningMoments, x: number): void {
  s.count++;
  const delta = x - s.mean;
  s.mean += delta / s.count;
  s.m2 += delta * (x - s.mean);
  if (x < s.min) s.min = x;
  if (x > s.max) s.max = x;
}

/** Chan's merge: the moments of both streams together. */
export function mergeMoments(a: RunningMoments, b: RunningMoments): RunningMoments {
  if (b.count === 0) return { ...a };
  if (a.count === 0) return { ...b };
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/** `count` copies of one value (an imputed fill), as moments to merge. */
export function constantMoments(value: number, count: number): RunningMoments {
  return count === 0 ? emptyMoments() : { count, mean: value, m2: 0, min: value, max: value };
}

/** Exact values up to this many; beyond, a DDSketch (see `createStreamingMedian`). */
export const EXACT_MEDIAN_LIMIT = 1_000_000;
/** DDSketch's relative accuracy α: a returned order statistic x̂ satisfies |x̂ − x| ≤ α·|x|. */
export const MEDIAN_RELATIVE_ACCURACY = 0.001;

export type StreamingMedian = { add(x: number): void; median(): number; exact(): boolean };

/**
 * The median of a stream. Up to `exactLimit` values it keeps them and returns the exact median
 * (the mean of the two middle values for an even count, as the in-memory fit does). Past that it
 * moves them into a DDSketch (Masson, Rim & Lee, 2019) with relative accuracy α and memory
 * logarithmic in the value range: the result is then within α·|x| of the order statistic at rank
 * ⌊(n − 1)/2⌋ or ⌈(n − 1)/2⌉, i.e. of one of the two middle values.
 */
export function createStreamingMedian(
  opts: { exactLimit?: number; relativeAccuracy?: number } = {},
): StreamingMedian {
  const limit = opts.exactLimit ?? EXACT_MEDIAN_LIMIT;
  let values: Float64Array | undefined = new Float64Array(Math.min(1024, Math.max(1, limit)));
  let n = 0;
  let sketch: DDSketch | undefined;
  return {
    add(x) {
      if (sketch) return sketch.accept(x);
      if (n === limit) {
        sketch = new DDSketch({ relativeAccuracy: opts.relativeAccuracy ?? MEDIAN_RELATIVE_ACCURACY });
        for (let i = 0; i < n; i++) sketch.accept(values![i]!);
        values = undefined;
        return sketch.accept(x);
      }
      if (n === values!.length) {
        const grown = new Float64Array(Math.min(limit, values!.length * 2));
        grown.set(values!);
        values = grown;
      }
      values![n++] = x;
    },
    median() {
      if (sketch) return sketch.getValueAtQuantile(0.5);
      const s = values!.slice(0, n).sort();
      const mid = Math.floor(n / 2);
      return n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
    },
    exact: () => sketch === undefined,
  };
}
