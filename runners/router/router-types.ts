import type { AnalysisSample, Colour, Phase, SlotTraffic } from "../../core/rollout/rollout-types.ts";
import type { Variant } from "../../core/monitoring/prediction-record.ts";
import type { VariantStats } from "../../core/rollout/traffic-status.ts";
import type { SlotChannel } from "./connection-handoff.ts";
import type { RolloutOutcomeLabel } from "./router-metrics.ts";

/** Where a slot listens and which model version it serves. */
export type SlotUpstream = {
  url: string;
  version: string;
  /** The slot process's IPC channel, when the router spawned it: connections can be handed to it. */
  channel?: SlotChannel;
};

export type SlotStats = SlotTraffic & {
  /** Requests whose connection to this slot broke before an answer, answered by the other colour instead. */
  failedOver: number;
};

/** A sample of one proxied request, kept so a post-switch check can judge real traffic. */
export type RoutedSample = AnalysisSample & { at: number };

export type RouterOptions = {
  host?: string;
  port: number;
  /** Largest request body forwarded, in bytes; larger bodies get 413. Default 8 MiB, as the server. */
  maxBodyBytes?: number;
  /** Time allowed for a slot to answer before the router answers 504. Default 60 s. */
  upstreamTimeoutMs?: number;
  /** How many recent samples each slot keeps. */
  sampleLimit?: number;
  /** Time a client has to send the request headers; the connection is closed after it. Default 10 s. */
  headersTimeoutMs?: number;
  /** Time a client has to send the whole request, body included (408 and close after it). Default 30 s. */
  requestTimeoutMs?: number;
  /** Longest pause allowed between two pieces of a request body (408 and close after it). Default 5 s. */
  bodyIdleTimeoutMs?: number;
  /** Most client connections open at once; more are closed as they arrive. Default 512. */
  maxConnections?: number;
  /** After a 413, how much more of the body is read and thrown away before the connection closes. Default 1 MiB. */
  drainBytes?: number;
  /** Requests carrying this value in the `x-modelship-smoke` header are the deployment's own smoke requests. */
  smokeToken?: string;
  /** Request header whose value keeps one user on one variant of a split. Default `x-modelship-key`. */
  stickyHeader?: string;
  /** Source of randomness for requests without a key (tests hand in a seeded one). Default Math.random. */
  random?: () => number;
  /** Most shadow copies in flight at once; more are skipped, never queued. Default 128. */
  shadowLimit?: number;
  /** Regression: a shadow answer agrees when it differs by at most this share of max(1, |stable|). Default 0.1. */
  agreementTolerance?: number;
  /**
   * In the steady state (one colour live, no split, shadow or rollout), pass accepted connections
   * to the live slot's process instead of proxying them. Default false.
   */
  handoff?: boolean;
};

/** Where traffic goes besides the live colour: a split of client requests, or shadow copies. */
export type TrafficSplit = { colour: Colour; weight: number; mode: "split" | "shadow" };

/** The default request header that keeps a user on one variant. */
export const STICKY_HEADER = "x-modelship-key";

/** The bounds a router applies when its options leave them out. */
export const ROUTER_DEFAULTS = {
  maxBodyBytes: 8 * 1024 * 1024,
  upstreamTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 5_000,
  maxConnections: 512,
  drainBytes: 1024 * 1024,
  shadowLimit: 128,
  agreementTolerance: 0.1,
};

export type Router = {
  url: string;
  port: number;
  /** Registers (or with null, forgets) the upstream of a colour. Never changes which colour is live. */
  setSlot(colour: Colour, upstream: SlotUpstream | null): void;
  /** Sends every new request to `colour` and ends any split; requests already forwarded finish where they are. */
  switchTo(colour: Colour | null): void;
  /** Splits client traffic with (or copies it to) another registered colour; the live colour stays the stable one. */
  setTraffic(split: TrafficSplit): void;
  /** The split or shadow in place, or null. */
  split(): TrafficSplit | null;
  /** The variant a colour's answers are labelled with now. */
  variantOf(colour: Colour): Variant;
  /** Traffic, latency, errors, feedback and shadow comparison of one colour since its split started. */
  variantStats(colour: Colour): VariantStats | null;
  /** Shown on `/metrics` as `modelship_rollout_phase`. */
  setPhase(phase: Phase | null): void;
  /** Counts an ended rollout on `/metrics` as `modelship_rollouts_total{outcome}`. */
  countRollout(outcome: RolloutOutcomeLabel): void;
  active(): { colour: Colour; version: string; url: string } | null;
  stats(colour: Colour): SlotStats | null;
  /** Samples of requests a colour answered at or after `sinceMs` (epoch ms). */
  samples(colour: Colour, sinceMs: number): RoutedSample[];
  /** Resolves true once a colour has nothing in flight, false after `timeoutMs`. */
  waitIdle(colour: Colour, timeoutMs: number): Promise<boolean>;
  /** Client connections the router serves itself now (at most `maxConnections`; handed ones are the slot's). */
  connections(): number;
  close(): Promise<void>;
};
