import type { Colour } from "../../core/rollout/rollout-types.ts";
import type { Variant } from "../../core/monitoring/prediction-record.ts";

/**
 * The messages the router and a slot exchange over the slot's IPC channel for connection
 * hand-off (docs/deploy-local.md, "Throughput of the router").
 */
export type ToSlot =
  /** Comes with an accepted, unread client socket: serve it as the router would. */
  | { type: "modelship:conn"; colour: Colour; version: string; variant: Variant }
  /** Stop keeping handed connections: answer in-flight requests with `Connection: close`, close idle ones. */
  | { type: "modelship:release" }
  /** The router's answer to a request for one of its own endpoints. */
  | { type: "modelship:answer"; id: number; status: number; headers: Record<string, string>; body: string };

export type ToRouter =
  /** Comes with a handed connection the slot gives back (idle, no request byte read): the router serves it. */
  | { type: "modelship:back" }
  /** The slot can adopt sockets now. */
  | { type: "modelship:ready" }
  /** Requests answered on handed connections since the last report: status (0: no answer), milliseconds, ... */
  | { type: "modelship:served"; done: number[] }
  /** A request on a handed connection for an endpoint the router answers (its `/metrics`, feedback). */
  | { type: "modelship:ask"; id: number; method: string; url: string; body: string };

/** Set in a slot's environment when the router spawned it with an IPC channel for hand-off. */
export const HANDOFF_ENV = "MODELSHIP_HANDOFF";

export const FEEDBACK_PATH = /^\/v2\/models\/[^/?]+(\/versions\/[^/?]+)?\/feedback(\?|$)/;

/** Requests the router answers itself, wherever the connection they came on is served. */
export function routerOwned(method: string | undefined, url: string): boolean {
  if (method === "GET" && (url === "/metrics" || url.startsWith("/metrics?"))) return true;
  // The substring test first: every inference request is a POST, and few are feedback.
  return method === "POST" && url.includes("/feedback") && FEEDBACK_PATH.test(url);
}

export function isMessage<T extends { type: string }>(m: unknown): m is T {
  return (
    typeof m === "object" &&
    m !== null &&
    typeof (m as { type?: unknown }).type === "string" &&
    (m as { type: string }).type.startsWith("modelship:")
  );
}
