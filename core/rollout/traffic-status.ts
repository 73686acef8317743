import type { VariantFeedback } from "../monitoring/ab-verdict.ts";
import type { Variant } from "../monitoring/prediction-record.ts";
import type { Colour, Phase, TrafficStrategyName } from "./rollout-types.ts";

/** How a shadow's answers compared with the stable answers the clients got. */
export type ShadowStats = {
  copies: number;
  /** Copies not sent because too many were in flight. */
  skipped: number;
  errors: number;
  /** Copies whose answer could be compared with the stable answer. */
  compared: number;
  agreed: number;
  kind: "classification" | "regression" | null;
  agreementRate: number | null;
  /** Regression: mean over compared requests of the largest absolute difference. */
  meanAbsDifference: number | null;
};

/** One variant's traffic since its split started (or since its slot started serving). */
export type VariantStats = {
  since: string;
  requests: number;
  /** Answers >= 500 and requests the slot never answered. */
  errors: number;
  /** 4xx answers: the clients' doing, not the version's. */
  clientErrors: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Ground truth matched to this variant's answers through the feedback endpoint. */
  feedback: VariantFeedback | null;
  shadow: ShadowStats | null;
};

/** One slot in `status --json`'s `traffic` array. */
export type TrafficEntry = VariantStats & {
  version: string;
  slot: Colour;
  variant: Variant;
  /** Percent of client requests this slot answers. */
  weight: number;
  /** A shadow: percent of requests copied to it (its answers reach no client); else null. */
  shadowPercent: number | null;
};

/** The rollout in progress as `status` shows it: its strategy and, for a canary, the current step. */
export type RolloutProgress = {
  id: string;
  version: string;
  strategy: TrafficStrategyName;
  phase: Phase;
  /** 1-based canary step, or null outside a canary. */
  step: number | null;
  steps: number[] | null;
  /** Percent of client traffic (a shadow: of requests copied) on the new version. */
  weight: number;
};
