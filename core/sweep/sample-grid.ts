import type { SearchDimension } from "../config/schema.ts";
import { gridAxes, gridPointAt, gridSize, type SweepValue } from "./plan-sweep.ts";
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
  const axes = gridAxes(search, options.gridPoints);
  const taken = new Set(trials.filter((t) => t.state !== "failed").map((t) => key(t.params)));
  const free: Record<string, SweepValue>[] = [];
  for (let index = 0; index < gridSize(axes); index++) {
    const point = gridPointAt(axes, index);
    if (!taken.has(key(point))) free.push(point);
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
