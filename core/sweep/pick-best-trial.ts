import type { Direction } from "../compare/compare-runs.ts";

/** A finished trial as read from its run directory. */
export type TrialResult = { id: string; params: Record<string, unknown>; metrics: Record<string, number> };

export type RankedTrial = TrialResult & { value: number | null };

export type PickBestTrialResult =
  | { ok: true; best: RankedTrial; ranked: RankedTrial[]; metric: string; direction: Direction }
  | { ok: false; reason: "no-trials" | "metric-missing"; message: string; ranked: RankedTrial[] };

/**
 * Ranks trials by one metric in its better direction; trials without a finite value rank last.
 * Ties keep trial id order, so the choice is stable.
 */
export function pickBestTrial(
  trials: readonly TrialResult[],
  options: { metric: string; direction: Direction },
): PickBestTrialResult {
  const ranked: RankedTrial[] = trials
    .map((t) => {
      const v = t.metrics[options.metric];
      return { ...t, value: typeof v === "number" && Number.isFinite(v) ? v : null };
    })
    .sort((a, b) => {
      if (a.value === null || b.value === null)
        return a.value === b.value ? a.id.localeCompare(b.id) : a.value === null ? 1 : -1;
      const d = options.direction === "maximize" ? b.value - a.value : a.value - b.value;
      return d !== 0 ? d : a.id.localeCompare(b.id);
    });
  if (ranked.length === 0)
    return { ok: false, reason: "no-trials", message: "no trial finished with a run directory", ranked };
  const best = ranked[0]!;
  if (best.value === null) {
    return {
      ok: false,
      reason: "metric-missing",
      message: `no trial reported the metric ${options.metric}`,
      ranked,
    };
  }
  return { ok: true, best, ranked, metric: options.metric, direction: options.direction };
}
