import type { SearchDimension } from "../config/schema.ts";
import { gridPoints, type SweepValue } from "./plan-sweep.ts";
import type { StudyTrial } from "./study.ts";

/**
 * The next grid point no trial has taken (failed trials give theirs back), chosen at random among
 * the free ones; null once the grid is used up.
 */
export function sampleGrid(
  search: Readonly<Record<string, SearchDimension>>,
  trials: readonly StudyTrial[],
  rand: () => number,
  options: { gridPoints: number } = { gridPoints: 3 },
): Record<string, SweepValue> | null {
  const axes = Object.keys(search)
    .sort()
    .map((name) => [name, gridPoints(search[name]!, options.gridPoints)] as const);
  const size = axes.reduce((n, [, pts]) => n * pts.length, 1);
  const taken = new Set(trials.filter((t) => t.state !== "failed").map((t) => key(t.params)));
  const free: Record<string, SweepValue>[] = [];
  for (let index = 0; index < size; index++) {
    const params: Record<string, SweepValue> = {};
    let rest = index;
    for (let d = axes.length - 1; d >= 0; d--) {
      const [name, pts] = axes[d]!;
      params[name] = pts[rest % pts.length]!;
      rest = Math.floor(rest / pts.length);
    }
    const ordered = Object.fromEntries(axes.map(([name]) => [name, params[name]!]));
    if (!taken.has(key(ordered))) free.push(ordered);
  }
  if (free.length === 0) return null;
  return free[Math.min(free.length - 1, Math.floor(rand() * free.length))]!;
}

function key(params: Record<string, SweepValue>): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}
