import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { TrafficKind } from "../../core/monitoring/prediction-record.ts";
import { track, type Finish } from "./count-requests.ts";
import { sendError } from "./error-answer.ts";
import { forward, type Forwarding, type RetryKind } from "./forward-request.ts";
import { parseJson } from "./read-body.ts";
import { failoverFor } from "./pick-upstream.ts";
import type { RouterContext } from "./router-context.ts";
import { remember } from "./router-feedback.ts";
import { sendShadow, settle, type ShadowPair } from "./shadow-copy.ts";
import type { Upstream } from "./upstream.ts";

/** Body bytes kept for a resend when a pooled connection turns out to be closed (larger bodies are not resent). */
const RESEND_WINDOW_BYTES = 256 * 1024;

/**
 * Pipes a client's request to a slot, its body as it arrives, with backpressure: the router holds
 * at most a socket buffer of it, plus the first bytes so a request sent on a pooled connection
 * the slot had just closed can be resent once (and one the slot dropped sent to the warm colour).
 * With `shadowTo`, a whole body is copied to the shadow once it has arrived.
 */
export function proxyRequest(
  ctx: RouterContext,
  up: Upstream,
  req: IncomingMessage,
  res: ServerResponse,
  traffic: TrafficKind,
  shadowTo: Upstream | null,
): void {
  const p = new ProxiedRequest(ctx, up, req, res, traffic, shadowTo);
  req.on("data", (chunk: Buffer) => p.onData(chunk));
  req.on("end", () => p.onEnd());
  req.on("close", () => clearTimeout(p.idle));
}

/** One client request on its way to a slot: what its body pump, its retries and its answer share. */
class ProxiedRequest implements Forwarding {
  readonly ctx: RouterContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly traffic: TrafficKind;
  /** The slot first picked: the client's own failures are answered in its name. */
  private readonly up: Upstream;
  private readonly finish: Finish;
  private readonly shadowTo: Upstream | null;
  /** The stable answer and the shadow's meet here to be compared. */
  private readonly pair: ShadowPair | null;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private received = 0;
  private resent = false;
  private failedOver = false;
  private upReq: ClientRequest;
  /** One timer per request, pushed back as each piece of the body arrives. */
  readonly idle: NodeJS.Timeout;

  constructor(
    ctx: RouterContext,
    up: Upstream,
    req: IncomingMessage,
    res: ServerResponse,
    traffic: TrafficKind,
    shadowTo: Upstream | null,
  ) {
    this.ctx = ctx;
    this.req = req;
    this.res = res;
    this.traffic = traffic;
    this.up = up;
    this.finish = track(ctx, up, traffic);
    this.shadowTo = shadowTo;
    this.pair = shadowTo ? { stable: undefined, shadow: undefined } : null;
    this.upReq = forward(this, up, this.finish);
    const idleMs = ctx.limits.bodyIdleTimeoutMs;
    this.idle = setTimeout(
      () => this.clientFailed(408, "body-timeout", `no request body for ${idleMs} ms`),
      idleMs,
    );
  }

  onData(chunk: Buffer): void {
    this.idle.refresh();
    this.received += chunk.length;
    const limit = this.ctx.limits.maxBodyBytes;
    if (this.received > limit) {
      this.clientFailed(413, "body-too-large", `request body is larger than the limit of ${limit} bytes`);
      return;
    }
    if (this.received <= RESEND_WINDOW_BYTES) {
      this.kept.push(chunk);
      this.keptBytes += chunk.length;
    } else this.kept.length = 0;
    const upReq = this.upReq;
    if (!upReq.write(chunk)) {
      this.req.pause();
      upReq.once("drain", () => this.req.resume());
    }
  }

  onEnd(): void {
    clearTimeout(this.idle);
    this.upReq.end();
    // Only whole bodies are copied: a larger one was not kept.
    if (this.shadowTo && this.pair && this.keptBytes === this.received)
      sendShadow(this.ctx, this.shadowTo, this.req, Buffer.concat(this.kept), this.pair);
  }

  /** Sends the request again, once on the same slot (a stale pooled socket), once on the other colour. */
  retry(kind: RetryKind, from: Upstream, current: Finish): Finish | null {
    if (this.keptBytes < this.received) return null;
    let to = from;
    let fin = current;
    if (kind === "resend") {
      if (this.resent) return null;
      this.resent = true;
    } else {
      const alt = this.failedOver ? null : failoverFor(this.ctx, from, this.req);
      if (!alt) return null;
      this.failedOver = true;
      // The warm colour's pooled socket may be stale too: it gets its own resend.
      this.resent = false;
      from.failedOver++;
      to = alt;
      fin = track(this.ctx, alt, this.traffic);
    }
    const upReq = forward(this, to, fin);
    this.upReq = upReq;
    for (const chunk of this.kept) upReq.write(chunk);
    if (this.req.complete) upReq.end();
    return fin;
  }

  /** A client's answer: its prediction is remembered for feedback, and a shadow's pair gets it. */
  answered(from: Upstream, status: number, body: Buffer | null): void {
    const pair = this.pair;
    const json = body && (pair || body.includes('"id"')) ? parseJson(body) : undefined;
    remember(this.ctx, from, json);
    if (pair) settle(this.ctx, pair, "stable", status === 200 ? json : undefined);
  }

  /** The client sent too much or too slowly: it gets the error, and its connection closes after it. */
  private clientFailed(status: number, code: string, message: string): void {
    const { req, res } = this;
    clearTimeout(this.idle);
    req.removeAllListeners("data");
    this.upReq.destroy();
    this.finish(status, message, code);
    if (!res.headersSent && !res.destroyed) sendError(this.ctx, res, status, code, message, this.up);
    if (status === 413) drain(this.ctx, req);
    else if (res.writableFinished || res.destroyed) req.socket.destroy();
    else res.once("finish", () => req.socket.destroy());
  }
}

/** 413 before a byte is forwarded; the rest of the body is drained (up to a limit) so the client reads the answer. */
export function refuseTooLarge(ctx: RouterContext, req: IncomingMessage, res: ServerResponse): void {
  const limit = ctx.limits.maxBodyBytes;
  sendError(ctx, res, 413, "body-too-large", `request body is larger than the limit of ${limit} bytes`);
  drain(ctx, req);
}

/** Reads and throws away up to `drainBytes` more of a refused body, then closes the connection. */
function drain(ctx: RouterContext, req: IncomingMessage): void {
  let drained = 0;
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained <= ctx.limits.drainBytes) return;
    // Half-close first, so the answer is read before the connection goes.
    req.removeAllListeners("data");
    req.socket.end();
    setTimeout(() => req.socket.destroy(), 1_000).unref();
    req.resume();
  });
  req.resume();
}
