import type { Config } from "../config/schema.ts";
import { otherColour } from "./rollout-types.ts";
import type {
  ActiveSlot,
  RolloutSettings,
  RolloutState,
  RolloutTarget,
  TrafficPlan,
} from "./rollout-types.ts";

/**
 * The idle state of a new rollout: the new version goes into the colour that is not live. A
 * rollback, or a first deploy (no live version to split traffic with), is always blue-green.
 */
export function createRollout(opts: {
  id: string;
  kind: RolloutState["kind"];
  target: RolloutTarget;
  active: ActiveSlot | null;
  settings: RolloutSettings;
  /** Default: blue-green. */
  plan?: TrafficPlan;
}): RolloutState {
  const plan: TrafficPlan =
    opts.plan === undefined || opts.kind === "rollback" || opts.active === null
      ? { strategy: "blue-green" }
      : opts.plan;
  return {
    id: opts.id,
    kind: opts.kind,
    phase: "idle",
    target: opts.target,
    preview: opts.active ? otherColour(opts.active.colour) : "blue",
    active: opts.active,
    settings: opts.settings,
    plan,
    step: -1,
    weight: 0,
    outcome: null,
    reason: null,
    message: null,
  };
}

/** Converts the `deploy` section of the config (seconds) into machine settings (milliseconds). */
export function rolloutSettings(deploy: Config["deploy"]): RolloutSettings {
  return {
    readyTimeoutMs: deploy.health.readyTimeoutSeconds * 1000,
    readyIntervalMs: deploy.health.intervalMs,
    smokeRequests: deploy.analysis.smokeRequests,
    maxErrorRate: deploy.analysis.maxErrorRate,
    maxLatencyP95Ms: deploy.analysis.maxLatencyP95Ms,
    maxLatencyP99Ms: deploy.analysis.maxLatencyP99Ms,
    minAgreement: deploy.analysis.minAgreement,
    agreementTolerance: deploy.analysis.agreementTolerance,
    postSwitchMs: deploy.analysis.postSwitchSeconds * 1000,
    scaleDownDelayMs: deploy.scaleDownDelaySeconds * 1000,
  };
}
