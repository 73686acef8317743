import type { Direction } from "../compare/compare-runs.ts";
import { z } from "zod";

const SweepValueSchema = z.union([z.number(), z.string(), z.boolean()]);
const DirectionSchema = z.enum(["maximize", "minimize"]);

export const TrialStateSchema = z.enum(["running", "complete", "pruned", "failed"]);
export type TrialState = z.infer<typeof TrialStateSchema>;

/** One trial of a study, as the study storage keeps it. */
export const StudyTrialSchema = z
  .object({
    /** 0-based, in the order the sampler proposed the trials. */
    number: z.number().int().nonnegative(),
    state: TrialStateSchema,
    params: z.record(z.string(), SweepValueSchema),
    /** The objective of a complete trial; null otherwise. */
    value: z.number().nullable(),
    /** Per-epoch validation value (index 0 is epoch 1); null where training reported NaN. */
    intermediate: z.array(z.number().nullable()),
    /** Epochs the trial trained (for a pruned trial: the epoch it reached). */
    epochs: z.number().int().nonnegative(),
    /** Run directory name under the runs folder. */
    runId: z.string().min(1),
    /** How often this trial was started (more than 1 after an interrupted study resumed). */
    attempts: z.number().int().nonnegative(),
    failure: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .strict();
export type StudyTrial = z.infer<typeof StudyTrialSchema>;

export const SAMPLERS = ["tpe", "random", "grid"] as const;
export const PRUNERS = ["median", "hyperband", "none"] as const;
export type SamplerName = (typeof SAMPLERS)[number];
export type PrunerName = (typeof PRUNERS)[number];

/** What a study optimises: the final metric, and the per-epoch value the pruners watch. */
export const StudyObjectiveSchema = z
  .object({
    metric: z.string().min(1),
    direction: DirectionSchema,
    intermediate: z.object({ metric: z.string().min(1), direction: DirectionSchema }).strict(),
  })
  .strict();
export type StudyObjective = z.infer<typeof StudyObjectiveSchema>;

/** Everything a study needs to propose and judge trials; stored as one JSON document. */
export const StudySchema = z
  .object({
    schemaVersion: z.literal(1),
    name: z.string().min(1),
    sampler: z.enum(SAMPLERS),
    pruner: z.enum(PRUNERS),
    seed: z.number().int().nonnegative(),
    /** Points per continuous range of a grid study. */
    gridPoints: z.number().int().positive(),
    objective: StudyObjectiveSchema,
    /** Largest number of epochs a trial can train (Hyperband's max resource). */
    maxEpochs: z.number().int().positive(),
    /** `train.search` the study was created with; resuming with another space is refused. */
    space: z.record(z.string(), z.unknown()),
    trials: z.array(StudyTrialSchema),
  })
  .strict();
export type Study = z.infer<typeof StudySchema>;

/** A finished trial's objective compared in the study's direction: negative when `a` is better. */
export function compareValues(a: number, b: number, direction: Direction): number {
  return direction === "maximize" ? b - a : a - b;
}

/** The last epoch with a reported value, 0 when none. */
export function lastStep(trial: StudyTrial): number {
  return trial.intermediate.length;
}
