import type { DeployState } from "../../core/rollout/deploy-state.ts";
import type { RolloutResult } from "../../core/rollout/deploy-target.ts";
import type { RolloutTarget, SlotTraffic } from "../../core/rollout/rollout-types.ts";

export type { RolloutResult, SlotTraffic };

/** The model version to bring up: its V2 name, its version label and its directory (or .onnx file). */
export type DeployRequest = RolloutTarget;

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

/** What `status` reports: the persisted state plus live request counters per colour. */
export type DeploymentStatus = DeployState & {
  url: string;
  traffic: { blue: SlotTraffic | null; green: SlotTraffic | null };
  health?: LiveHealth | null;
};

export type RolloutWaitOptions = {
  /** Resolve only after the old colour has been stopped (default: once traffic is switched and checked). */
  waitForScaleDown?: boolean;
};

/** The operations the CLI drives, in process or through the admin surface. */
export type DeploymentControl = {
  deploy(req: DeployRequest, opts?: RolloutWaitOptions): Promise<RolloutResult>;
  rollback(opts?: RolloutWaitOptions): Promise<RolloutResult>;
  status(): Promise<DeploymentStatus>;
};
