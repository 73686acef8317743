import type { IncomingHttpHeaders } from "node:http";
import { ROUTING_HEADERS, type TrafficKind, type Variant } from "../../core/monitoring/prediction-record.ts";

/** How a request reached the server: the variant and traffic kind the router marked it with. */
export type Routing = { variant: Variant; traffic: TrafficKind };

const CLIENT: Routing = { variant: "stable", traffic: "client" };

/**
 * The routing headers of a request. A request without them (sent straight to the server) is the
 * stable variant's client traffic; unknown values count as that too, so clients cannot add label
 * values to the metrics.
 */
export function readRoutingHeaders(headers: IncomingHttpHeaders): Routing {
  const variant = headers[ROUTING_HEADERS.variant];
  const traffic = headers[ROUTING_HEADERS.traffic];
  if (variant === undefined && traffic === undefined) return CLIENT;
  return {
    variant: variant === "candidate" ? "candidate" : "stable",
    traffic: traffic === "shadow" || traffic === "smoke" ? traffic : "client",
  };
}
