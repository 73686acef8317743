/** The two slots a blue-green deployment alternates between. */
export type Colour = "blue" | "green";

export const COLOURS = ["blue", "green"] as const satisfies readonly Colour[];

/** The slot that is not `c`. */
export function otherColour(c: Colour): Colour {
  return c === "blue" ? "green" : "blue";
}

/** Why a rollout ended the way it did. Shown to users and written to the state file. */
export type ReasonCode =
  | "promoted"
  | "slot-crashed"
  | "ready-timeout"
  | "smoke-failed"
  | "analysis-error-rate"
  | "analysis-latency"
  | "analysis-invalid-output"
  | "analysis-disagreement"
  | "post-switch-failed"
  | "step-failed"
  | "aborted"
  | "superseded";

export const REASON_CODES = [
  "promoted",
  "slot-crashed",
  "ready-timeout",
  "smoke-failed",
  "analysis-error-rate",
  "analysis-latency",
  "analysis-invalid-output",
  "analysis-disagreement",
  "post-switch-failed",
  "step-failed",
  "aborted",
  "superseded",
] as const satisfies readonly ReasonCode[];

/** Reason codes an analysis verdict can fail with. */
export type AnalysisReason =
  | "smoke-failed"
  | "analysis-error-rate"
  | "analysis-latency"
  | "analysis-invalid-output"
  | "analysis-disagreement";

export type Phase =
  | "idle"
  | "starting-preview"
  | "waiting-ready"
  | "analysing"
  | "switching"
  | "shifting"
  | "stepping"
  | "holding"
  | "post-switch-check"
  | "draining"
  | "scaling-down"
  | "complete"
  | "switching-back"
  | "rolling-back"
  | "rolled-back"
  | "failed";

export const PHASES = [
  "idle",
  "starting-preview",
  "waiting-ready",
  "analysing",
  "switching",
  "shifting",
  "stepping",
  "holding",
  "post-switch-check",
  "draining",
  "scaling-down",
  "complete",
  "switching-back",
  "rolling-back",
  "rolled-back",
  "failed",
] as const satisfies readonly Phase[];

export const TERMINAL_PHASES: readonly Phase[] = ["complete", "rolled-back", "failed"];

/** Phases that wait for a person (`promote` or `abort`) with nothing running: not a stall. */
export const WAITING_PHASES: readonly Phase[] = ["holding"];

/** Phases in which both versions take traffic (a split or a shadow), before the promotion. */
export const SPLIT_PHASES: readonly Phase[] = ["shifting", "stepping", "holding"];

/**
 * How traffic moves to the new version. Blue-green moves it all at once; canary in increasing
 * weights (`pauseMs` null: each step waits for a promote); A/B holds a fixed split until promote
 * or abort; shadow sends the new version copies of `percent`% of requests, whose answers no
 * client sees.
 */
export type TrafficPlan =
  | { strategy: "blue-green" }
  | { strategy: "canary"; steps: number[]; pauseMs: number | null }
  | { strategy: "ab"; weight: number }
  | { strategy: "shadow"; percent: number };

export type TrafficStrategyName = TrafficPlan["strategy"];

/** How a rollout ended: `succeeded` once traffic is on the new version and its check passed. */
export type Outcome = "succeeded" | "rolled-back" | "failed";

/** The model version a slot serves. */
export type RolloutTarget = { version: string; modelDir: string; name: string };

/** What is live before the rollout starts; null on a first deploy. */
export type ActiveSlot = { colour: Colour; version: string };

/** Request counters the router keeps per colour. */
export type SlotTraffic = {
  colour: Colour;
  url: string;
  version: string;
  /** Requests forwarded to this slot whose response has not finished yet. */
  inflight: number;
  requests: number;
  /** Responses with status >= 500, including the router's own 503/504 for this slot. */
  errors: number;
};

/** Timing and gate settings, in milliseconds, taken from `deploy` in the config. */
export type RolloutSettings = {
  readyTimeoutMs: number;
  readyIntervalMs: number;
  smokeRequests: number;
  maxErrorRate: number;
  maxLatencyP95Ms: number;
  /** Largest p99 latency; absent in settings recorded before the limit existed (not judged then). */
  maxLatencyP99Ms?: number;
  /** Least share of reference rows on which the new version must agree with the live one. */
  minAgreement: number;
  agreementTolerance: number;
  postSwitchMs: number;
  scaleDownDelayMs: number;
};

export type AnalysisThresholds = {
  maxErrorRate: number;
  maxLatencyP95Ms: number;
  /** Largest p99 latency; not judged when absent. */
  maxLatencyP99Ms?: number;
  /** Least share of reference rows the new version must answer as the live one does (0: not compared). */
  minAgreement?: number;
  /** Regression: predictions agree when they differ by at most this share of max(1, |live|). */
  agreementTolerance?: number;
};

/**
 * One smoke or probe request: `status` is null when no HTTP response came back. `origin` is
 * "traffic" for requests real clients sent (their 4xx answers are the client's fault, not the
 * version's); anything else is a request Modelship built as valid, so a 4xx counts against the
 * version. `code` is the reason code of a V2 error body.
 */
export type AnalysisSample = {
  status: number | null;
  latencyMs: number;
  error?: string;
  code?: string;
  origin?: "smoke" | "traffic";
};

/**
 * How the new version's answers to the reference rows compare with the live version's: for
 * classification the rows with the same label, for regression the rows whose predictions differ
 * by at most the tolerance.
 */
export type AnalysisAgreement = {
  kind: "classification" | "regression";
  rows: number;
  agreed: number;
  rate: number;
  /** Largest absolute difference between two predictions (regression only). */
  maxDifference?: number;
};

export type AnalysisObserved = {
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  statuses: Record<string, number>;
  /** Traffic answered 4xx: malformed client requests, left out of `errors` and `errorRate`. */
  clientErrors: number;
  /** Failures that were invalid model outputs (non-finite, not probabilities, wrong shape). */
  invalidOutputs: number;
  firstError?: string;
  agreement?: AnalysisAgreement;
};

export type AnalysisVerdict =
  | { pass: true; observed: AnalysisObserved; thresholds: AnalysisThresholds }
  | {
      pass: false;
      reason: AnalysisReason;
      message: string;
      observed: AnalysisObserved;
      thresholds: AnalysisThresholds;
    };

/** `step`: a canary step, or the first minutes of an A/B split or a shadow, judged on the new version's share. */
export type AnalysisStage = "pre-switch" | "step" | "post-switch";

export type RolloutState = {
  id: string;
  kind: "deploy" | "rollback";
  phase: Phase;
  target: RolloutTarget;
  /** The colour the new version is brought up in (the idle one). */
  preview: Colour;
  /** What served traffic before the rollout; null on a first deploy. */
  active: ActiveSlot | null;
  settings: RolloutSettings;
  /** How traffic moves; a rollback, or a first deploy with nothing to split with, is blue-green. */
  plan: TrafficPlan;
  /** Index of the canary step being run (-1 before the first); 0 for an A/B split or a shadow. */
  step: number;
  /** Percent of client traffic on the new version (a shadow: percent of requests copied to it). */
  weight: number;
  /** Set once the outcome is known; draining already counts as succeeded. */
  outcome: Outcome | null;
  reason: ReasonCode | null;
  message: string | null;
};

export type RolloutEvent =
  | { type: "start" }
  | { type: "slot-started"; colour: Colour; url: string }
  | { type: "slot-ready"; colour: Colour }
  | { type: "ready-timeout"; colour: Colour; message?: string }
  | { type: "slot-crashed"; colour: Colour; message?: string }
  | { type: "analysis-passed"; stage: "pre-switch"; verdict: AnalysisVerdict }
  | { type: "analysis-failed"; stage: "pre-switch"; verdict: AnalysisVerdict }
  | { type: "switched"; colour: Colour }
  | { type: "traffic-set"; weight: number }
  | { type: "step-passed"; verdict: AnalysisVerdict }
  | { type: "step-failed"; verdict: AnalysisVerdict }
  /** A person moves the rollout on: `full` skips every remaining step, else only to the next. */
  | { type: "promote"; full: boolean }
  | { type: "post-check-passed"; verdict: AnalysisVerdict }
  | { type: "post-check-failed"; verdict: AnalysisVerdict }
  | { type: "drain-elapsed" }
  | { type: "slot-stopped"; colour: Colour }
  | { type: "aborted"; reason: "aborted" | "superseded"; message?: string };

export type RolloutEventType = RolloutEvent["type"];

export const EVENT_TYPES = [
  "start",
  "slot-started",
  "slot-ready",
  "ready-timeout",
  "slot-crashed",
  "analysis-passed",
  "analysis-failed",
  "switched",
  "traffic-set",
  "step-passed",
  "step-failed",
  "promote",
  "post-check-passed",
  "post-check-failed",
  "drain-elapsed",
  "slot-stopped",
  "aborted",
] as const satisfies readonly RolloutEventType[];

/** Deployment status as GitHub Deployments name them, so adapters can report either way. */
export type RecordedStatus = "in_progress" | "success" | "failure";

export type RolloutEffect =
  | { type: "start-slot"; colour: Colour; target: RolloutTarget }
  | { type: "probe-ready"; colour: Colour; timeoutMs: number; intervalMs: number }
  | {
      type: "run-analysis";
      colour: Colour;
      stage: AnalysisStage;
      requests: number;
      durationMs: number;
      thresholds: AnalysisThresholds;
    }
  /** All traffic to `colour`; any split or shadow ends. */
  | { type: "switch-traffic"; colour: Colour }
  /**
   * Both versions take traffic: `split` sends `weight`% of client requests to `colour` (the new
   * version; sticky per request key), `shadow` copies `weight`% of them to it; the rest, and every
   * client answer in a shadow, come from `stable`.
   */
  | { type: "set-traffic"; colour: Colour; stable: Colour; weight: number; mode: "split" | "shadow" }
  | { type: "schedule-timer"; timer: "scale-down"; ms: number }
  | { type: "cancel-timer"; timer: "scale-down" }
  | { type: "stop-slot"; colour: Colour }
  | {
      type: "record-status";
      status: RecordedStatus;
      phase: Phase;
      reason: ReasonCode | null;
      message: string;
    };

export type RolloutEffectType = RolloutEffect["type"];

/** The result of feeding one event to the machine. A rejected event leaves the state unchanged. */
export type Transition =
  | { accepted: true; next: RolloutState; effects: RolloutEffect[] }
  | { accepted: false; next: RolloutState; effects: []; rejection: string };
