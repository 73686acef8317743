import { z } from "zod";
import { pruneTrial, setEpochValue, type PrunableTrial, type PruneDecision } from "./prune-trial.ts";
import { StudyObjectiveSchema, TrialStateSchema, type Study } from "./study.ts";

/**
 * Most characters of the curves `sweep-plan` hands to matrix trials. They reach each trial's
 * Action as one input, which the runner passes as an environment variable, and Linux refuses a
 * single environment string over 128 KiB (a job output may hold 1 MB; a run's outputs 50 MB).
 */
export const MAX_CURVES_CHARS = 100_000;

const CurveSchema = z
  .object({
    number: z.number().int().nonnegative(),
    state: TrialStateSchema,
    intermediate: z.array(z.number().nullable()),
  })
  .strict();

/** The finished trials' per-epoch validation values, as a matrix trial's pruner reads them. */
export const PruningCurvesSchema = z
  .object({
    schemaVersion: z.literal(1),
    study: z.string().min(1),
    pruner: z.enum(["median", "hyperband"]),
    objective: StudyObjectiveSchema,
    maxEpochs: z.number().int().positive(),
    trials: z.array(CurveSchema),
    /** Finished trials left out (the oldest first) to stay under MAX_CURVES_CHARS. */
    omitted: z.number().int().nonnegative(),
  })
  .strict();
export type PruningCurves = z.infer<typeof PruningCurvesSchema>;

/** What one matrix trial prunes with: the study's curves and its own trial number. */
export type TrialPruning = { curves: PruningCurves; trial: number };

/**
 * The curves of the study's finished trials (any state but running, with at least one epoch),
 * for the trials planned next; null when the study does not prune. Over `maxChars` of JSON, the
 * oldest trials are left out first and counted in `omitted`.
 */
export function curvesForMatrix(study: Study, maxChars: number = MAX_CURVES_CHARS): PruningCurves | null {
  if (study.pruner === "none") return null;
  const trials = study.trials
    .filter((t) => t.state !== "running" && t.intermediate.length > 0)
    .map((t) => ({ number: t.number, state: t.state, intermediate: [...t.intermediate] }));
  const curves: PruningCurves = {
    schemaVersion: 1,
    study: study.name,
    pruner: study.pruner,
    objective: study.objective,
    maxEpochs: study.maxEpochs,
    trials,
    omitted: 0,
  };
  let size = JSON.stringify(curves).length;
  while (size > maxChars && curves.trials.length > 0) {
    const dropped = curves.trials.shift()!;
    curves.omitted++;
    size -= JSON.stringify(dropped).length + 1;
  }
  return curves;
}

/**
 * A matrix trial's pruner: fed each epoch's logs, it answers with the study's pruner decision
 * (the same `pruneTrial` a local study calls) against the finished trials' curves. Trials of the
 * same matrix do not see each other, unlike a local study's running trials.
 */
export function createMatrixPruner(
  pruning: TrialPruning,
): (epoch: number, logs: Readonly<Record<string, unknown>>) => PruneDecision {
  const { curves } = pruning;
  const self: PrunableTrial = { number: pruning.trial, state: "running", intermediate: [] };
  const study = {
    name: curves.study,
    pruner: curves.pruner,
    objective: curves.objective,
    maxEpochs: curves.maxEpochs,
    trials: [...curves.trials.filter((t) => t.number !== pruning.trial), self],
  };
  return (epoch, logs) => {
    setEpochValue(self.intermediate, epoch, logs[curves.objective.intermediate.metric]);
    return pruneTrial(study, self);
  };
}
