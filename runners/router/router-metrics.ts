import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { PHASES } from "../../core/rollout/rollout-types.ts";
import type { Outcome, Phase, ReasonCode } from "../../core/rollout/rollout-types.ts";

/** Latency buckets in seconds: inference through the router is milliseconds to seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The `outcome` label of `modelship_rollouts_total`: how a rollout ended, with aborts apart from failures. */
export const ROLLOUT_OUTCOMES = ["succeeded", "rolled-back", "failed", "aborted", "superseded"] as const;

export type RolloutOutcomeLabel = (typeof ROLLOUT_OUTCOMES)[number];

/** Labels an ended rollout: a user's abort or a newer deploy is not a failure of the version. */
export function rolloutOutcomeLabel(r: {
  outcome: Outcome | null;
  reason: ReasonCode | null;
}): RolloutOutcomeLabel {
  if (r.outcome === "succeeded") return "succeeded";
  if (r.reason === "aborted" || r.reason === "superseded") return r.reason;
  return r.outcome ?? "failed";
}

/** The router's Prometheus metrics (`/metrics` on its public port), in a registry of its own. */
export type RouterMetrics = ReturnType<typeof createRouterMetrics>;

/** Creates the router's metrics: client requests and latency per variant, weights, rollout phase, switches. */
export function createRouterMetrics() {
  const registry = new Registry();
  const requests = new Counter({
    name: "modelship_router_requests_total",
    help: "Client requests the router answered, by variant, version and HTTP status.",
    labelNames: ["variant", "version", "code"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "modelship_router_request_duration_seconds",
    help: "Time from a client request's arrival to the end of its answer, by variant.",
    labelNames: ["variant"],
    buckets: BUCKETS,
    registers: [registry],
  });
  const shadow = new Counter({
    name: "modelship_router_shadow_requests_total",
    help: "Copies of client requests sent to a shadow version, by version and HTTP status (0: no answer).",
    labelNames: ["version", "code"],
    registers: [registry],
  });
  const weight = new Gauge({
    name: "modelship_traffic_weight",
    help: "Percent of client requests each variant answers (a shadow answers none).",
    labelNames: ["variant", "version"],
    registers: [registry],
  });
  const phase = new Gauge({
    name: "modelship_rollout_phase",
    help: "1 for the phase the current rollout is in (all 0 when none runs).",
    labelNames: ["phase"],
    registers: [registry],
  });
  const switches = new Counter({
    name: "modelship_rollout_switches_total",
    help: "Times the router moved traffic: a switch, or a new split or shadow weight.",
    registers: [registry],
  });
  const rollouts = new Counter({
    name: "modelship_rollouts_total",
    help: "Rollouts that ended, by outcome: succeeded, rolled-back, failed, aborted (by a person or a shutdown), superseded.",
    labelNames: ["outcome"],
    registers: [registry],
  });
  for (const p of PHASES) phase.labels(p).set(0);
  // Every outcome starts at 0, so increase() sees the first failure after a restart.
  for (const o of ROLLOUT_OUTCOMES) rollouts.labels(o).inc(0);
  return {
    registry,
    requests,
    duration,
    shadow,
    weight,
    switches,
    rollouts,
    setPhase(current: Phase | null): void {
      for (const p of PHASES) phase.labels(p).set(p === current ? 1 : 0);
    },
  };
}
