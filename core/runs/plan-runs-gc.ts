import type { RunEntry } from "./run-entry.ts";

/** Why gc keeps a run. */
export type KeepReason = "recent" | "registered";

export type RunsGcPlan = {
  keep: Array<{ id: string; path: string; reason: KeepReason }>;
  remove: Array<{ id: string; path: string }>;
};

/**
 * Keeps the `keep` newest runs and every run a registered version came from; the rest go.
 * Runs are ranked by start time, newest first.
 */
export function planRunsGc(input: {
  runs: readonly RunEntry[];
  keep: number;
  registeredRunIds: ReadonlySet<string>;
}): RunsGcPlan {
  const ranked = [...input.runs].sort((a, b) =>
    a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0,
  );
  const plan: RunsGcPlan = { keep: [], remove: [] };
  ranked.forEach((r, i) => {
    if (input.registeredRunIds.has(r.id)) plan.keep.push({ id: r.id, path: r.path, reason: "registered" });
    else if (i < input.keep) plan.keep.push({ id: r.id, path: r.path, reason: "recent" });
    else plan.remove.push({ id: r.id, path: r.path });
  });
  return plan;
}
