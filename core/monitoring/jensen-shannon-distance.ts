/** Share a category with no rows on one side is given, so that logarithms stay finite (as in Evidently). */
export const EMPTY_SHARE = 0.0001;

/** Each key's share of its side's rows, over every key seen on either side; empty shares become EMPTY_SHARE. */
export function alignedShares(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): { keys: string[]; reference: number[]; current: number[] } {
  const keys = [...new Set([...reference.keys(), ...current.keys()])].sort();
  const shares = (counts: ReadonlyMap<string, number>) => {
    let total = 0;
    for (const v of counts.values()) total += v;
    return keys.map((k) => {
      const s = total > 0 ? (counts.get(k) ?? 0) / total : 0;
      return s === 0 ? EMPTY_SHARE : s;
    });
  };
  return { keys, reference: shares(reference), current: shares(current) };
}

/**
 * Jensen–Shannon distance, natural logarithm (so it lies in [0, √ln 2 ≈ 0.833]): the square root
 * of the mean Kullback–Leibler divergence of each distribution from their average. Both
 * distributions are normalised to sum 1 first.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((s, v) => s + v, 0);
  const sq = q.reduce((s, v) => s + v, 0);
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = (q[i] ?? 0) / sq;
    const mid = (a + b) / 2;
    if (a > 0) divergence += a * Math.log(a / mid);
    if (b > 0) divergence += b * Math.log(b / mid);
  }
  return Math.sqrt(Math.max(0, divergence / 2));
}
