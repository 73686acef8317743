import type { SweepValue } from "../../../core/sweep/plan-sweep.ts";
import type { Study, StudyTrial, TrialState } from "../../../core/sweep/study.ts";

/** A study of `trials`, minimising val_loss unless told otherwise. */
export function makeStudy(overrides: Partial<Study> = {}): Study {
  return {
    schemaVersion: 1,
    name: "s",
    sampler: "tpe",
    pruner: "none",
    seed: 1,
    gridPoints: 3,
    objective: {
      metric: "val_loss",
      direction: "minimize",
      intermediate: { metric: "val_loss", direction: "minimize" },
    },
    maxEpochs: 27,
    space: {},
    trials: [],
    ...overrides,
  };
}

/** A trial with a per-epoch history; a complete one's value is its last value unless given. */
export function trial(
  number: number,
  state: TrialState,
  intermediate: (number | null)[],
  extra: { params?: Record<string, SweepValue>; value?: number | null } = {},
): StudyTrial {
  const last = intermediate.at(-1) ?? null;
  return {
    number,
    state,
    params: extra.params ?? {},
    value: state === "complete" ? (extra.value === undefined ? last : extra.value) : null,
    intermediate,
    epochs: intermediate.length,
    runId: `s-t${number}`,
    attempts: 1,
  };
}

/** Five complete trials whose val_loss at epochs 1..3 have medians 0.5, 0.4, 0.3 (the pruners' peers). */
export const FIVE_COMPLETE: StudyTrial[] = [
  trial(0, "complete", [0.3, 0.2, 0.1]),
  trial(1, "complete", [0.4, 0.3, 0.2]),
  trial(2, "complete", [0.5, 0.4, 0.3]),
  trial(3, "complete", [0.6, 0.5, 0.4]),
  trial(4, "complete", [0.7, 0.6, 0.5]),
];
