import { z } from "zod";
import { PHASES, REASON_CODES } from "./rollout-types.ts";

const ColourSchema = z.enum(["blue", "green"]);

export const RolloutTargetSchema = z.object({
  version: z.string().min(1),
  modelDir: z.string().min(1),
  name: z.string().min(1),
});

/** One step of a rollout as users see it in `status` and in the state file. */
export const TimelineEntrySchema = z.object({
  at: z.string().describe("ISO time the event was handled."),
  event: z.string(),
  from: z.enum(PHASES),
  to: z.enum(PHASES),
  accepted: z.boolean(),
  note: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

export const RolloutRecordSchema = z.object({
  id: z.string(),
  kind: z.enum(["deploy", "rollback"]),
  version: z.string(),
  fromVersion: z.string().nullable(),
  colour: ColourSchema,
  phase: z.enum(PHASES),
  outcome: z.enum(["succeeded", "rolled-back", "failed"]).nullable(),
  reason: z.enum(REASON_CODES).nullable(),
  message: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Absent in files written before traffic strategies: blue-green. */
  strategy: z.enum(["blue-green", "canary", "ab", "shadow"]).optional(),
  /** Canary step index (-1 before the first), and the new version's percent of traffic. */
  step: z.number().int().optional(),
  weight: z.number().optional(),
  analysis: z.object({
    preSwitch: z.unknown().optional(),
    /** One verdict per canary step (or the first minutes of an A/B split or shadow). */
    steps: z.array(z.unknown()).optional(),
    postSwitch: z.unknown().optional(),
  }),
  timeline: z.array(TimelineEntrySchema),
});
export type RolloutRecord = z.infer<typeof RolloutRecordSchema>;

export const LiveSlotSchema = RolloutTargetSchema.extend({
  colour: ColourSchema,
  since: z.string(),
});
export type LiveSlot = z.infer<typeof LiveSlotSchema>;

/** `.modelship/deploy/<environment>.json`: what is live, what was live before, and what happened. */
export const DeployStateSchema = z.object({
  schemaVersion: z.literal(1),
  environment: z.string(),
  updatedAt: z.string(),
  router: z.object({ url: z.string(), pid: z.number().int(), startedAt: z.string() }).nullable(),
  active: LiveSlotSchema.nullable(),
  previous: RolloutTargetSchema.nullable(),
  slots: z.object({
    blue: RolloutTargetSchema.extend({ url: z.string(), pid: z.number().int().nullable() }).nullable(),
    green: RolloutTargetSchema.extend({ url: z.string(), pid: z.number().int().nullable() }).nullable(),
  }),
  current: RolloutRecordSchema.nullable(),
  history: z.array(RolloutRecordSchema),
});
export type DeployState = z.infer<typeof DeployStateSchema>;

/** Most recent rollouts kept in the state file. */
export const HISTORY_LIMIT = 50;

/** An empty state for an environment nothing was deployed to yet. */
export function emptyDeployState(environment: string, now: Date): DeployState {
  return {
    schemaVersion: 1,
    environment,
    updatedAt: now.toISOString(),
    router: null,
    active: null,
    previous: null,
    slots: { blue: null, green: null },
    current: null,
    history: [],
  };
}
