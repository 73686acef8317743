import type { RolloutRecord } from "./deploy-state.ts";
import type { ModelVersion } from "../registry/registry-port.ts";
import type { Outcome, ReasonCode, RolloutTarget } from "./rollout-types.ts";

/** How a rollout ended, with every transition it went through. */
export type RolloutResult = RolloutRecord & { outcome: Outcome; reason: ReasonCode; message: string };

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
  /** Blue-green deploys a version. */
  deploy(target: RolloutTarget): Promise<TargetRollout>;
  /** Returns to the version live before, exactly as it ran then. */
  rollback(): Promise<TargetRollout>;
};
