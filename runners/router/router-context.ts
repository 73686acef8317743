import { Agent } from "node:http";
import type { Server } from "node:http";
import type { Variant } from "../../core/monitoring/prediction-record.ts";
import type { Colour, Phase } from "../../core/rollout/rollout-types.ts";
import { FeedbackStore } from "./feedback-store.ts";
import { createRouterMetrics, type RouterMetrics } from "./router-metrics.ts";
import { ROUTER_DEFAULTS, STICKY_HEADER } from "./router-types.ts";
import type { RouterOptions, TrafficSplit } from "./router-types.ts";
import type { Upstream } from "./upstream.ts";

/** The bounds of one router: its options, with defaults where they are left out. */
export type RouterLimits = typeof ROUTER_DEFAULTS;

/** A split or shadow in place, with the slot it sends to. */
export type ActiveSplit = TrafficSplit & { to: Upstream };

/**
 * Everything one router's request path and controls share. The fields without `readonly` are
 * the routing state: each request reads them once, and the controls swap them.
 */
export type RouterContext = {
  readonly limits: RouterLimits;
  /** How many recent samples each slot keeps, and by how many they are trimmed at once. */
  readonly sampleLimit: number;
  readonly trimStep: number;
  readonly smokeToken: string | undefined;
  readonly handoff: boolean;
  readonly stickyHeader: string;
  readonly random: () => number;
  readonly metrics: RouterMetrics;
  /** Labelled metric children, looked up once rather than per request. */
  readonly durationOf: Record<Variant, { observe(seconds: number): void }>;
  readonly feedback: FeedbackStore;
  /** The HTTP server proxied connections are served by (it never listens itself). */
  readonly server: Server;
  readonly shadowAgent: Agent;
  shadowInflight: number;
  readonly slots: Record<Colour, Upstream | null>;
  /** The one reference every request reads: swapping it is the switch. */
  live: Upstream | null;
  /**
   * What was live before the last switch: while it stays registered it is warm, and takes the
   * requests the live colour drops before answering.
   */
  fallback: Upstream | null;
  /** Where client traffic goes besides `live`: a weighted split or shadow copies. */
  split: ActiveSplit | null;
  phase: Phase | null;
  /** The slot that may hold handed connections: told to release them when traffic moves. */
  handedTo: Upstream | null;
};

/** The options with their defaults filled in. */
export function routerLimits(opts: RouterOptions): RouterLimits {
  return { ...ROUTER_DEFAULTS, ...definedOnly(opts) };
}

/** A router's shared state before any slot is registered. */
export function createRouterContext(
  opts: RouterOptions,
  limits: RouterLimits,
  server: Server,
): RouterContext {
  const sampleLimit = opts.sampleLimit ?? 10_000;
  const metrics = createRouterMetrics();
  return {
    limits,
    sampleLimit,
    trimStep: Math.max(1, Math.ceil(sampleLimit / 8)),
    smokeToken: opts.smokeToken,
    handoff: opts.handoff === true,
    stickyHeader: (opts.stickyHeader ?? STICKY_HEADER).toLowerCase(),
    random: opts.random ?? Math.random,
    metrics,
    durationOf: {
      stable: metrics.duration.labels("stable"),
      candidate: metrics.duration.labels("candidate"),
    },
    feedback: new FeedbackStore(),
    server,
    shadowAgent: new Agent({ keepAlive: true, maxSockets: limits.shadowLimit, timeout: 4_000 }),
    shadowInflight: 0,
    slots: { blue: null, green: null },
    live: null,
    fallback: null,
    split: null,
    phase: null,
    handedTo: null,
  };
}

/** The variant a slot's answers are labelled with now: the split's colour is the candidate. */
export function variantOf(ctx: RouterContext, up: Upstream): Variant {
  return ctx.split !== null && ctx.split.to === up ? "candidate" : "stable";
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
