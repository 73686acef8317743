import { EMPTY_SHARE } from "./jensen-shannon-distance.ts";

/**
 * PSI = Σ (current share − reference share) · ln(current share / reference share) over bins;
 * an empty bin counts as EMPTY_SHARE (0.0001) on its side.
 */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[]): number {
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i]!, EMPTY_SHARE);
    const c = Math.max(current[i] ?? 0, EMPTY_SHARE);
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/**
 * Share of `values` in each bin cut by ascending `cuts`: bin 0 is (−∞, cuts[0]], bin k is
 * (cuts[k−1], cuts[k]], the last is (cuts[last], ∞). With the reference's deciles as cuts the
 * reference puts about a tenth in each bin.
 */
export function binShares(values: readonly number[], cuts: readonly number[]): number[] {
  const counts = new Array<number>(cuts.length + 1).fill(0);
  for (const v of values) {
    let lo = 0;
    let hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= cuts[mid]!) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]!++;
  }
  return counts.map((c) => (values.length > 0 ? c / values.length : 0));
}
