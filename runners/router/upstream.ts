import { Agent } from "node:http";
import type { Variant } from "../../core/monitoring/prediction-record.ts";
import type { Colour } from "../../core/rollout/rollout-types.ts";
import type { ShadowStats } from "../../core/rollout/traffic-status.ts";
import type { SlotChannel } from "./connection-handoff.ts";
import type { RoutedSample, SlotUpstream } from "./router-types.ts";

/** Requests counted since the current split started (or since the slot was registered). */
export type TrafficWindow = { since: number; requests: number; errors: number; clientErrors: number };

/** One registered slot as the router sees it: where it listens, its pool and its counters. */
export type Upstream = {
  colour: Colour;
  url: string;
  hostname: string;
  port: number;
  /** The `host` header sent to the slot. */
  host: string;
  version: string;
  agent: Agent;
  inflight: number;
  requests: number;
  errors: number;
  failedOver: number;
  samples: RoutedSample[];
  idleWaiters: Array<() => void>;
  /** `modelship_router_requests_total` children by variant, then status (0: no answer). */
  counters: Record<Variant, Map<number, { inc(n?: number): void }>>;
  window: TrafficWindow;
  shadow: ShadowStats;
  /** The slot process's IPC channel; `handoffReady` once it said it adopts sockets. */
  channel: SlotChannel | null;
  handoffReady: boolean;
  onMessage: ((m: unknown, handle: unknown) => void) | null;
};

/** A fresh record for a slot just registered: nothing counted, not yet adopting connections. */
export function createUpstream(colour: Colour, upstream: SlotUpstream): Upstream {
  const u = new URL(upstream.url);
  return {
    colour,
    url: upstream.url,
    hostname: u.hostname.replace(/^\[|\]$/g, ""),
    port: Number(u.port),
    host: u.host,
    version: upstream.version,
    // Idle pooled connections are kept up to the pool's size, so a burst of more than a few
    // dozen client connections does not open and close a slot connection per request.
    agent: new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, timeout: 4_000 }),
    inflight: 0,
    requests: 0,
    errors: 0,
    failedOver: 0,
    samples: [],
    idleWaiters: [],
    counters: { stable: new Map(), candidate: new Map() },
    window: emptyWindow(),
    shadow: emptyShadow(),
    channel: upstream.channel ?? null,
    handoffReady: false,
    onMessage: null,
  };
}

/** A new split compares the variants from its own start. */
export function resetWindow(up: Upstream): void {
  up.window = emptyWindow();
  up.shadow = emptyShadow();
}

function emptyWindow(): TrafficWindow {
  return { since: Date.now(), requests: 0, errors: 0, clientErrors: 0 };
}

function emptyShadow(): ShadowStats {
  return {
    copies: 0,
    skipped: 0,
    errors: 0,
    compared: 0,
    agreed: 0,
    kind: null,
    agreementRate: null,
    meanAbsDifference: null,
  };
}

/** Counts one answer (null: none) in a window: 5xx and no answer are errors, 4xx but 499 client errors. */
export function countWindow(w: TrafficWindow, status: number | null): void {
  w.requests++;
  if (status === null || status >= 500) w.errors++;
  else if (status >= 400 && status !== 499) w.clientErrors++;
}

/**
 * Keeps the newest `limit` samples. Trimmed in steps of `step`, not per request: a splice of the
 * whole array per request costs more than the proxying.
 */
export function trimSamples(up: Upstream, limit: number, step: number): void {
  if (up.samples.length >= limit + step) up.samples.splice(0, up.samples.length - limit);
}

/** The key feedback is tallied under: one slot process serving one version. */
export function slotKey(up: { colour: Colour; version: string }): string {
  return `${up.colour}@${up.version}`;
}
