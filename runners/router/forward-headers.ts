import { ROUTING_HEADERS } from "../../core/monitoring/prediction-record.ts";
import type { TrafficKind, Variant } from "../../core/monitoring/prediction-record.ts";

/** The header that marks the deployment's own smoke requests (never forwarded to a slot). */
export const SMOKE_HEADER = "x-modelship-smoke";
/** With the smoke token: the colour a smoke request must reach (a canary step judges the new one). */
export const SMOKE_SLOT_HEADER = "x-modelship-smoke-slot";

/** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Request headers never sent to a slot: hop-by-hop ones, the smoke headers, host (set to the
 * slot's) and the routing headers (the router sets them; a client cannot choose its label).
 */
export const FORWARD_DROPS: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  SMOKE_HEADER,
  SMOKE_SLOT_HEADER,
  "host",
  ...Object.values(ROUTING_HEADERS),
]);
/** A shadow copy carries the body it was given: its own length, never the client's framing. */
export const SHADOW_DROPS: ReadonlySet<string> = new Set([...FORWARD_DROPS, "content-length"]);

/** Header lines (a flat name, value list) without hop-by-hop ones, those named in `connection`, or `drop`. */
export function endToEndHeaders(
  raw: string[],
  connection: string | undefined,
  drop: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!drop.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return connection === undefined ? out : dropNamed(out, connection);
}

/** The routing headers a slot gets with each request (it labels its prediction records with them). */
export function routingHeaders(variant: Variant, version: string, traffic: TrafficKind): string[] {
  return [
    ROUTING_HEADERS.variant,
    variant,
    ROUTING_HEADERS.version,
    version,
    ROUTING_HEADERS.traffic,
    traffic,
  ];
}

/** Lines less those named in a `Connection` header (`close` and `keep-alive` name none worth a pass). */
function dropNamed(lines: string[], connection: string): string[] {
  const tokens = connection
    .toLowerCase()
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "close" && t !== "keep-alive" && t !== "");
  if (tokens.length === 0) return lines;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    if (!tokens.includes(lines[i]!.toLowerCase())) out.push(lines[i]!, lines[i + 1]!);
  }
  return out;
}
