import { suggestTrial, type SuggestResult } from "./suggest-trial.ts";
import { trialRunId } from "./record-trial-result.ts";
import type { Study, StudyTrial } from "./study.ts";

export type PlanStudyTrialsResult =
  | { ok: true; planned: StudyTrial[]; exhausted: boolean }
  | { ok: false; reason: Exclude<SuggestResult, { ok: true }>["reason"]; message: string };

/**
 * Appends up to `count` new running trials to the study, each proposed by its sampler with the
 * trials before it (running ones included) in view, as parallel workers would get them.
 */
export function planStudyTrials(study: Study, count: number): PlanStudyTrialsResult {
  const planned: StudyTrial[] = [];
  for (let i = 0; i < count; i++) {
    const number = study.trials.length;
    const s = suggestTrial(study, { number });
    if (!s.ok) {
      if (s.reason === "grid-exhausted") return { ok: true, planned, exhausted: true };
      return { ok: false, reason: s.reason, message: s.message };
    }
    const trial: StudyTrial = {
      number,
      state: "running",
      params: s.params,
      value: null,
      intermediate: [],
      epochs: 0,
      runId: trialRunId(study.name, number),
      attempts: 1,
    };
    study.trials.push(trial);
    planned.push(trial);
  }
  return { ok: true, planned, exhausted: false };
}
