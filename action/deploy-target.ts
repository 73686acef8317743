import type { Outcome } from "../core/rollout/rollout-types.ts";
import type { ModelVersion, Registry } from "../core/registry/registry-port.ts";

/** How a rollout on a target ended, in the Action's terms. */
export type TargetRollout = {
  outcome: Outcome;
  reason: string;
  message: string;
  version: string;
  fromVersion: string | null;
  /** Where the target serves, when it knows (the local router's address). */
  url: string | undefined;
};

/** What deploy and rollback need of a deploy target (local router or Kubernetes). */
export type DeployTarget = {
  /** The version live now, or null. */
  liveVersion(): Promise<string | null>;
  /** The version that was live before the current one, if any. */
  previousVersion(): Promise<string | undefined>;
  /** Blue-green deploys a registered version. */
  deploy(registry: Registry, version: ModelVersion): Promise<TargetRollout>;
  /** Returns to the version live before, exactly as it ran then. */
  rollbackToPrevious(): Promise<TargetRollout>;
};
