import { request as httpRequest } from "node:http";
import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import { ROUTING_HEADERS } from "../../core/monitoring/prediction-record.ts";
import type { TrafficKind, Variant } from "../../core/monitoring/prediction-record.ts";
import { ERROR_CODE_HEADER } from "../serve/serve-error.ts";
import type { Finish } from "./count-requests.ts";
import { sendError } from "./error-answer.ts";
import { endToEndHeaders, FORWARD_DROPS, HOP_BY_HOP, routingHeaders } from "./forward-headers.ts";
import { capture } from "./read-body.ts";
import { variantOf, type RouterContext } from "./router-context.ts";
import type { Upstream } from "./upstream.ts";

/** Errors that mean the slot never took the request in hand (refused, reset, broken pipe, socket gone). */
const CONNECTION_FAILURES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ECONNABORTED", "EHOSTUNREACH"]);

/** A resend on the same slot (a stale pooled socket), or a failover to the other colour. */
export type RetryKind = "resend" | "failover";

/** What forwarding needs of the client request it forwards. */
export type Forwarding = {
  readonly ctx: RouterContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly traffic: TrafficKind;
  /** Sends the request again; the `finish` of the new attempt, or null when it cannot be resent. */
  retry(kind: RetryKind, from: Upstream, current: Finish): Finish | null;
  /** A slot's answer ended: its status and, for a client's 200, its first bytes. */
  answered(from: Upstream, status: number, body: Buffer | null): void;
};

/**
 * Sends the request line and headers to the slot and pipes its answer to the client; the caller
 * streams the body into the returned request.
 */
export function forward(f: Forwarding, up: Upstream, finish: Finish): ClientRequest {
  const { ctx, req, res } = f;
  // Raw header lines, as received, less hop-by-hop ones (and the smoke token); without a
  // content-length the body goes chunked, as it arrives.
  const headers = endToEndHeaders(req.rawHeaders, req.headers["connection"], FORWARD_DROPS);
  const variant = variantOf(ctx, up);
  headers.push("host", up.host, ...routingHeaders(variant, up.version, f.traffic));
  const upReq = httpRequest({
    hostname: up.hostname,
    port: up.port,
    method: req.method ?? "GET",
    path: req.url ?? "/",
    headers,
    agent: up.agent,
  });
  let answered = false;
  const timeoutMs = ctx.limits.upstreamTimeoutMs;
  upReq.setTimeout(timeoutMs, () => {
    upReq.destroy(new Error(`slot ${up.colour} did not answer within ${timeoutMs} ms`));
  });
  upReq.on("response", (upRes) => {
    answered = true;
    pipeAnswer(f, up, variant, upRes, finish);
  });
  upReq.on("error", (err) => {
    if (answered || res.destroyed) return;
    upstreamFailed(f, up, upReq, err, finish);
  });
  res.on("close", () => {
    if (res.writableFinished) return;
    upReq.destroy();
    // The client left (or its request timed out): its doing, not the version's.
    finish(499, "client closed the connection", "client-closed");
  });
  return upReq;
}

/** The slot's answer, labelled with the slot, version and variant, goes to the client as it comes. */
function pipeAnswer(
  f: Forwarding,
  up: Upstream,
  variant: Variant,
  upRes: IncomingMessage,
  finish: Finish,
): void {
  const res = f.res;
  const out = endToEndHeaders(upRes.rawHeaders, upRes.headers["connection"], HOP_BY_HOP);
  out.push(
    "x-modelship-slot",
    up.colour,
    ROUTING_HEADERS.version,
    up.version,
    ROUTING_HEADERS.variant,
    variant,
  );
  const status = upRes.statusCode ?? 502;
  const code = upRes.headers[ERROR_CODE_HEADER];
  res.writeHead(status, out);
  const body = f.traffic === "client" && status === 200 ? capture(upRes) : null;
  upRes.pipe(res);
  upRes.on("end", () => {
    finish(status, undefined, typeof code === "string" ? code : undefined);
    f.answered(up, status, body ? Buffer.concat(body.chunks) : null);
  });
  upRes.on("error", (err) => {
    finish(null, err.message);
    res.destroy(err);
  });
}

/** No answer from the slot: resend, fail over, or answer 503 `slot-unreachable` / 504 `slot-timeout`. */
function upstreamFailed(f: Forwarding, up: Upstream, upReq: ClientRequest, err: Error, finish: Finish): void {
  const res = f.res;
  // A pooled socket the slot closed while idle: the request never reached it, so resend once.
  if (upReq.reusedSocket && isConnectionReset(err) && f.retry("resend", up, finish)) return;
  const timedOut = err.message.includes("did not answer");
  const message = timedOut
    ? err.message
    : `slot ${up.colour} (${up.version}) is unreachable: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
  // The slot dropped the connection before answering: the version failed this request, but
  // the warm colour still answers the client.
  if (!timedOut && !res.headersSent && isConnectionFailure(err) && f.retry("failover", up, finish)) {
    finish(null, message, "slot-unreachable");
    return;
  }
  if (!res.headersSent)
    sendError(f.ctx, res, timedOut ? 504 : 503, timedOut ? "slot-timeout" : "slot-unreachable", message, up);
  finish(null, message);
}

function isConnectionFailure(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && CONNECTION_FAILURES.has(code);
}

function isConnectionReset(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED";
}
