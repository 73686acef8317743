import type { SweepValue } from "./plan-sweep.ts";
import { compareValues, type Study, type TrialState } from "./study.ts";

/** `modelship sweep run --json`: the study, its best trial and every trial. */
export type StudySummary = {
  study: string;
  best: { trial: number; params: Record<string, SweepValue>; value: number } | null;
  trials: {
    number: number;
    state: Exclude<TrialState, "running">;
    params: Record<string, SweepValue>;
    value: number | null;
    epochs: number;
  }[];
};

/** The best complete trial (ties: the earlier one) and every trial that is not running. */
export function summarizeStudy(study: Study): StudySummary {
  const trials = study.trials
    .filter((t) => t.state !== "running")
    .map((t) => ({
      number: t.number,
      state: t.state as Exclude<TrialState, "running">,
      params: t.params,
      value: t.state === "complete" ? t.value : null,
      epochs: t.epochs,
    }));
  const best = trials
    .filter((t): t is typeof t & { value: number } => t.state === "complete" && t.value !== null)
    .sort((a, b) => compareValues(a.value, b.value, study.objective.direction) || a.number - b.number)[0];
  return {
    study: study.name,
    best: best ? { trial: best.number, params: best.params, value: best.value } : null,
    trials,
  };
}

/** The study as a Markdown table, best trial first marked; for terminals and PR comments. */
export function renderStudyTable(study: Study): string {
  const summary = summarizeStudy(study);
  const names = Object.keys(study.space).sort();
  const head = `| # | state | ${study.objective.metric} | epochs | ${names.join(" | ")} |`;
  const rule = `|---|---|---:|---:|${names.map(() => "---|").join("")}`;
  const rows = summary.trials.map((t) => {
    const mark = summary.best?.trial === t.number ? " ★" : "";
    const value = t.value === null ? "—" : String(Number(t.value.toPrecision(5)));
    return `| ${t.number}${mark} | ${t.state} | ${value} | ${t.epochs} | ${names.map((n) => String(t.params[n] ?? "")).join(" | ")} |`;
  });
  const counts = (["complete", "pruned", "failed"] as const)
    .map((s) => `${summary.trials.filter((t) => t.state === s).length} ${s}`)
    .join(", ");
  const best = summary.best
    ? `Best: trial ${summary.best.trial}, ${study.objective.metric} = ${summary.best.value} (${study.objective.direction}).`
    : "No trial has completed yet.";
  return [
    `Study **${study.name}** (${study.sampler}, pruner ${study.pruner}): ${counts}. ${best}`,
    "",
    head,
    rule,
    ...rows,
  ].join("\n");
}
