import type { RolloutRecord } from "./deploy-state.ts";
import type { ModelVersion } from "../registry/registry-port.ts";
import type { Outcome, ReasonCode, RolloutTarget, TrafficPlan } from "./rollout-types.ts";

/**
 * How a rollout ended, with every transition it went through; or `holding` (reason too) while it
 * waits, with both versions taking traffic, for a promote or an abort (A/B, shadow, canary step).
 */
export type RolloutResult = Omit<RolloutRecord, "outcome" | "reason" | "message"> & {
  outcome: Outcome | "holding";
  reason: ReasonCode | "holding";
  message: string;
};

/** A finished rollout on a target, and where the target serves when it knows (the local router). */
export type TargetRollout = RolloutResult & { url?: string };

/**
 * Where versions are deployed: the local router or a Kubernetes cluster. Both run the same
 * rollout machine through `driveRollout`; they differ only in how they run its effects.
 */
export type DeployTarget = {
  /** The version live now, or null. */
  liveVersion(): Promise<string | null>;
  /** The version that was live before the current one, if any. */
  previousVersion(): Promise<string | undefined>;
  /** Puts a registered version where the target's slots load it from, verified. */
  materialise(version: ModelVersion): Promise<RolloutTarget>;
  /** Deploys a version: blue-green, or by `plan` where the target runs traffic strategies. */
  deploy(target: RolloutTarget, plan?: TrafficPlan): Promise<TargetRollout>;
  /** Returns to the version live before, exactly as it ran then. */
  rollback(): Promise<TargetRollout>;
};
