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
