import type { DeployState } from "../../core/rollout/deploy-state.ts";
import type { RolloutResult } from "../../core/rollout/deploy-target.ts";
import type { RolloutTarget, SlotTraffic, TrafficPlan } from "../../core/rollout/rollout-types.ts";
import type { RolloutProgress, TrafficEntry } from "../../core/rollout/traffic-status.ts";

export type { RolloutProgress, RolloutResult, SlotTraffic, TrafficEntry };

/**
 * The model version to bring up: its V2 name, its version label and its directory (or .onnx
 * file), and how traffic moves to it (default: the config's `deploy.strategy`).
 */
export type DeployRequest = RolloutTarget & { plan?: TrafficPlan };

/**
 * Whether the live slot answers right now: `serving`, `restarting` after it died outside a
 * rollout, or `down` when restarts keep failing. Null when nothing is live.
 */
export type LiveHealth = {
  state: "serving" | "restarting" | "down";
  restarts: number;
  lastExit: string | null;
  since: string;
};

/**
 * What `status` reports: the persisted state, each serving slot with its variant, weight and
 * traffic since its split started, and the rollout in progress (strategy, canary step).
 */
export type DeploymentStatus = DeployState & {
  url: string;
  traffic: TrafficEntry[];
  rollout: RolloutProgress | null;
  health?: LiveHealth | null;
};

export type RolloutWaitOptions = {
  /** Resolve only after the old colour has been stopped (default: once traffic is switched and checked). */
  waitForScaleDown?: boolean;
};

/**
 * The operations the CLI drives, in process or through the admin surface. A deploy with a
 * canary, A/B or shadow plan answers once its version is live, or once it holds a split that
 * waits for `promote` or `abort` (outcome `holding`).
 */
export type DeploymentControl = {
  deploy(req: DeployRequest, opts?: RolloutWaitOptions): Promise<RolloutResult>;
  rollback(opts?: RolloutWaitOptions): Promise<RolloutResult>;
  /** Moves the rollout in progress on: all the way (`full`), or to its next canary step. */
  promote(opts?: { full?: boolean } & RolloutWaitOptions): Promise<RolloutResult>;
  /** Returns all traffic to the stable version and stops the new one. */
  abort(opts?: RolloutWaitOptions): Promise<RolloutResult>;
  status(): Promise<DeploymentStatus>;
};
