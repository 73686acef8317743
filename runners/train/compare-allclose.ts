/** The element of a comparison nearest to (or furthest past) its bound; null stands for NaN or ±Infinity. */
export type WorstElement = {
  row: number;
  column: number;
  actual: number | null;
  expected: number | null;
  absDiff: number | null;
  /** atol + rtol · |expected| for this element. */
  allowed: number;
};

export type AllcloseResult = {
  ok: boolean;
  /** Largest |actual − expected| over finite pairs; Number.MAX_VALUE when a pair is NaN or lengths differ. */
  maxAbsDiff: number;
  /** Largest |actual − expected| / |expected| over finite pairs with expected ≠ 0. */
  maxRelDiff: number;
  /** Elements outside the bound. */
  mismatches: number;
  /** Absent only when there is nothing to compare (no elements, or lengths differ). */
  worst?: WorstElement;
};

/**
 * numpy `allclose(actual, expected, rtol, atol)` with `equal_nan=False`, element by element over
 * row-major `[rows, width]` values: |actual − expected| ≤ atol + rtol · |expected|. A NaN on either
 * side is a mismatch; equal infinities match. The worst element is the one with the largest
 * excess over its bound (any NaN first), so a failure can name the row and both values.
 */
export function compareAllclose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  opts: { rtol: number; atol: number; width: number },
): AllcloseResult {
  if (actual.length !== expected.length)
    return { ok: false, maxAbsDiff: Number.MAX_VALUE, maxRelDiff: Number.MAX_VALUE, mismatches: 1 };
  const width = Math.max(1, opts.width);
  let maxAbsDiff = 0;
  let maxRelDiff = 0;
  let mismatches = 0;
  let worst: WorstElement | undefined;
  let worstExcess = -Infinity;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const allowed = opts.atol + opts.rtol * Math.abs(e);
    // As numpy: infinities match only an equal infinity, and NaN matches nothing.
    const finite = Number.isFinite(a) && Number.isFinite(e);
    const diff = a === e ? 0 : Math.abs(a - e);
    const close = finite ? diff <= allowed : a === e;
    if (!close) mismatches++;
    if (Number.isNaN(diff)) maxAbsDiff = Number.MAX_VALUE;
    else if (diff > maxAbsDiff) maxAbsDiff = Math.min(diff, Number.MAX_VALUE);
    if (e !== 0 && Number.isFinite(diff) && diff / Math.abs(e) > maxRelDiff) maxRelDiff = diff / Math.abs(e);
    const excess = close ? diff - allowed : finite ? diff - allowed : Infinity;
    if (worst === undefined || excess > worstExcess) {
      worstExcess = excess;
      worst = {
        row: Math.floor(i / width),
        column: i % width,
        actual: finiteOrNull(a),
        expected: finiteOrNull(e),
        absDiff: finiteOrNull(diff),
        allowed,
      };
    }
  }
  return { ok: mismatches === 0, maxAbsDiff, maxRelDiff, mismatches, ...(worst ? { worst } : {}) };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
