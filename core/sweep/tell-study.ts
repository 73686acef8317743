import { recordTrialResult, type TrialResultInput } from "./record-trial-result.ts";
import type { Study } from "./study.ts";

/** A trial's run as a tell reads it: its number, where it was found, and how it ended. */
export type ToldRun = { number: number; dir: string; result: TrialResultInput };

export type TellStudyResult = {
  /** Trials recorded from a run. */
  told: number[];
  /** Runs whose number is not a trial of the study. */
  unknown: string[];
  /** Running trials without a run, recorded as failed (`trial-not-reported`) when asked. */
  unreported: number[];
};

/**
 * Records each run's result in its trial, in place. With `unreportedFail`, trials still running
 * that no run reports are recorded as failed: a matrix job that failed before uploading its run
 * must not count as running for ever (TPE treats running trials as bad results).
 */
export function tellStudy(
  study: Study,
  runs: readonly ToldRun[],
  opts: { unreportedFail: boolean },
): TellStudyResult {
  const told: number[] = [];
  const unknown: string[] = [];
  for (const run of runs) {
    const trial = study.trials[run.number];
    if (!trial) unknown.push(run.dir);
    else {
      recordTrialResult(study, trial, run.result);
      told.push(run.number);
    }
  }
  const unreported: number[] = [];
  if (opts.unreportedFail) {
    for (const trial of study.trials) {
      if (trial.state !== "running") continue;
      recordTrialResult(study, trial, {
        kind: "failed",
        code: "trial-not-reported",
        message:
          "no run directory came back for this trial (its job failed or was cancelled before uploading it)",
      });
      unreported.push(trial.number);
    }
  }
  return { told, unknown, unreported };
}
