import { Agent, createServer, request as httpRequest } from "node:http";
import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AnalysisSample, Colour, SlotTraffic } from "../../core/rollout/rollout-types.ts";
import { answerClientError, ERROR_CODE_HEADER } from "../serve/serve-error.ts";

/** Where a slot listens and which model version it serves. */
export type SlotUpstream = { url: string; version: string };

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
};

/** The header that marks the deployment's own smoke requests (never forwarded to a slot). */
export const SMOKE_HEADER = "x-modelship-smoke";

/** The bounds a router applies when its options leave them out. */
export const ROUTER_DEFAULTS = {
  maxBodyBytes: 8 * 1024 * 1024,
  upstreamTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 5_000,
  maxConnections: 512,
  drainBytes: 1024 * 1024,
};

/** Body bytes kept for a resend when a pooled connection turns out to be closed (larger bodies are not resent). */
const RESEND_WINDOW_BYTES = 256 * 1024;

export type Router = {
  url: string;
  port: number;
  /** Registers (or with null, forgets) the upstream of a colour. Never changes which colour is live. */
  setSlot(colour: Colour, upstream: SlotUpstream | null): void;
  /** Sends every new request to `colour`; requests already forwarded finish where they are. */
  switchTo(colour: Colour | null): void;
  active(): { colour: Colour; version: string; url: string } | null;
  stats(colour: Colour): SlotStats | null;
  /** Samples of requests a colour answered at or after `sinceMs` (epoch ms). */
  samples(colour: Colour, sinceMs: number): RoutedSample[];
  /** Resolves true once a colour has nothing in flight, false after `timeoutMs`. */
  waitIdle(colour: Colour, timeoutMs: number): Promise<boolean>;
  /** Client connections open now (at most `maxConnections`). */
  connections(): number;
  close(): Promise<void>;
};

/** Records how a request to one slot ended: its status (null: no answer), error and reason code. */
type Finish = (status: number | null, error?: string, code?: string) => void;

type Upstream = {
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
};

const HOP_BY_HOP = new Set([
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
/** Inference requests have no side effect in a slot, so one whose connection broke may be sent again. */
const INFER_PATH = /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer(\?|$)/;
/** Errors that mean the slot never took the request in hand (refused, reset, broken pipe, socket gone). */
const CONNECTION_FAILURES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ECONNABORTED", "EHOSTUNREACH"]);

/** Request headers never sent to a slot: hop-by-hop ones, the smoke token and host (set to the slot's). */
const FORWARD_DROPS: ReadonlySet<string> = new Set([...HOP_BY_HOP, SMOKE_HEADER, "host"]);

/** Starts the public reverse proxy that sends every request to the live colour. */
export async function startRouter(opts: RouterOptions): Promise<Router> {
  const o = { ...ROUTER_DEFAULTS, ...definedOnly(opts) };
  const sampleLimit = opts.sampleLimit ?? 10_000;
  const trimStep = Math.max(1, Math.ceil(sampleLimit / 8));
  const slots: Record<Colour, Upstream | null> = { blue: null, green: null };
  // The one reference every request reads: swapping it is the switch.
  let live: Upstream | null = null;
  // What was live before the last switch: while it stays registered it is warm, and takes the
  // requests the live colour drops before answering.
  let fallback: Upstream | null = null;

  const server = createServer(
    {
      headersTimeout: Math.min(o.headersTimeoutMs, o.requestTimeoutMs),
      requestTimeout: o.requestTimeoutMs,
      // Node checks both timeouts on this interval (30 s by default, far too coarse for them).
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1_000, o.headersTimeoutMs / 4, o.requestTimeoutMs / 4),
      ),
    },
    (req, res) => handle(req, res),
  );
  server.keepAliveTimeout = 5_000;
  server.on("clientError", answerClientError);
  let open = 0;
  server.on("connection", (socket) => {
    open++;
    socket.once("close", () => open--);
  });
  server.maxConnections = o.maxConnections;

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > o.maxBodyBytes) return refuseTooLarge(req, res);
    const up = live;
    if (up === null) {
      sendError(res, 503, "no-version-deployed", "no model version is deployed");
      return;
    }
    streamBody(up, req, res, track(up, isSmoke(req) ? "smoke" : "traffic"));
  }

  /** Counts one request against a slot; the returned `finish` records how it ended (once). */
  function track(up: Upstream, origin: NonNullable<RoutedSample["origin"]>): Finish {
    up.inflight++;
    up.requests++;
    const started = performance.now();
    let finished = false;
    return (status, error, code) => {
      if (finished) return;
      finished = true;
      up.inflight--;
      if (status === null || status >= 500) up.errors++;
      const sample: RoutedSample = { status, latencyMs: performance.now() - started, at: Date.now(), origin };
      if (error !== undefined) sample.error = error;
      if (code !== undefined) sample.code = code;
      up.samples.push(sample);
      // Trimmed in steps, not per request: a splice of the whole array per request costs more than the proxying.
      if (up.samples.length >= sampleLimit + trimStep) up.samples.splice(0, up.samples.length - sampleLimit);
      if (up.inflight === 0) for (const wake of up.idleWaiters.splice(0)) wake();
    };
  }

  /**
   * Where a request a slot dropped unanswered may go instead: the live colour when traffic has
   * moved off that slot since, else the colour live before the last switch while it is still
   * registered (warm). Only inference and read requests, never the deployment's own smoke
   * requests (they judge one slot).
   */
  function failoverFor(up: Upstream, req: IncomingMessage): Upstream | null {
    const alt = live !== null && live !== up ? live : fallback;
    if (!alt || alt === up || slots[alt.colour] !== alt || isSmoke(req)) return null;
    const method = req.method ?? "GET";
    const safe =
      method === "GET" || method === "HEAD" || (method === "POST" && INFER_PATH.test(req.url ?? ""));
    return safe ? alt : null;
  }

  function isSmoke(req: IncomingMessage): boolean {
    return opts.smokeToken !== undefined && req.headers[SMOKE_HEADER] === opts.smokeToken;
  }

  /** 413 before a byte is forwarded; the rest of the body is drained (up to a limit) so the client reads the answer. */
  function refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
    sendError(res, 413, "body-too-large", `request body is larger than the limit of ${o.maxBodyBytes} bytes`);
    drain(req);
  }

  function drain(req: IncomingMessage): void {
    let drained = 0;
    req.on("data", (chunk: Buffer) => {
      drained += chunk.length;
      if (drained <= o.drainBytes) return;
      // Half-close first, so the answer is read before the connection goes.
      req.removeAllListeners("data");
      req.socket.end();
      setTimeout(() => req.socket.destroy(), 1_000).unref();
      req.resume();
    });
    req.resume();
  }

  /**
   * Pipes the client's body to the live slot as it arrives, with backpressure: the router holds
   * at most a socket buffer of it, plus the first bytes so a request sent on a pooled connection
   * the slot had just closed can be resent once.
   */
  function streamBody(up: Upstream, req: IncomingMessage, res: ServerResponse, finish: Finish): void {
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let received = 0;
    let resent = false;
    let failedOver = false;
    let upReq = forward(up, req, res, finish, retry);
    // One timer per request, pushed back as each piece of the body arrives.
    const idle = setTimeout(
      () => clientFailed(408, "body-timeout", `no request body for ${o.bodyIdleTimeoutMs} ms`),
      o.bodyIdleTimeoutMs,
    );
    const clientFailed = (status: number, code: string, message: string) => {
      clearTimeout(idle);
      req.removeAllListeners("data");
      upReq.destroy();
      finish(status, message, code);
      if (!res.headersSent && !res.destroyed) {
        sendError(res, status, code, message, up);
      }
      if (status === 413) drain(req);
      else if (res.writableFinished || res.destroyed) req.socket.destroy();
      else res.once("finish", () => req.socket.destroy());
    };
    /** Sends the request again, once on the same slot (a stale pooled socket), once on the other colour. */
    function retry(kind: "resend" | "failover", from: Upstream, current: Finish): Finish | null {
      if (keptBytes < received) return null;
      let to = from;
      let fin = current;
      if (kind === "resend") {
        if (resent) return null;
        resent = true;
      } else {
        const alt = failedOver ? null : failoverFor(from, req);
        if (!alt) return null;
        failedOver = true;
        // The warm colour's pooled socket may be stale too: it gets its own resend.
        resent = false;
        from.failedOver++;
        to = alt;
        fin = track(alt, isSmoke(req) ? "smoke" : "traffic");
      }
      upReq = forward(to, req, res, fin, retry);
      for (const chunk of kept) upReq.write(chunk);
      if (req.complete) upReq.end();
      return fin;
    }
    req.on("data", (chunk: Buffer) => {
      idle.refresh();
      received += chunk.length;
      if (received > o.maxBodyBytes) {
        clientFailed(
          413,
          "body-too-large",
          `request body is larger than the limit of ${o.maxBodyBytes} bytes`,
        );
        return;
      }
      if (received <= RESEND_WINDOW_BYTES) {
        kept.push(chunk);
        keptBytes += chunk.length;
      } else kept.length = 0;
      if (!upReq.write(chunk)) {
        req.pause();
        upReq.once("drain", () => req.resume());
      }
    });
    req.on("end", () => {
      clearTimeout(idle);
      upReq.end();
    });
    req.on("close", () => clearTimeout(idle));
  }

  /** Sends the request line and headers to the slot; the caller streams the body into the returned request. */
  function forward(
    up: Upstream,
    req: IncomingMessage,
    res: ServerResponse,
    finish: Finish,
    retry: (kind: "resend" | "failover", from: Upstream, current: Finish) => Finish | null,
  ): ClientRequest {
    // Raw header lines, as received, less hop-by-hop ones (and the smoke token); without a
    // content-length the body goes chunked, as it arrives.
    const headers = endToEndHeaders(req.rawHeaders, req.headers["connection"], FORWARD_DROPS);
    headers.push("host", up.host);
    const upReq = httpRequest({
      hostname: up.hostname,
      port: up.port,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers,
      agent: up.agent,
    });
    let answered = false;
    upReq.setTimeout(o.upstreamTimeoutMs, () => {
      upReq.destroy(new Error(`slot ${up.colour} did not answer within ${o.upstreamTimeoutMs} ms`));
    });
    upReq.on("response", (upRes) => {
      answered = true;
      const out = endToEndHeaders(upRes.rawHeaders, upRes.headers["connection"], HOP_BY_HOP);
      out.push("x-modelship-slot", up.colour, "x-modelship-version", up.version);
      const status = upRes.statusCode ?? 502;
      const code = upRes.headers[ERROR_CODE_HEADER];
      res.writeHead(status, out);
      upRes.pipe(res);
      upRes.on("end", () => finish(status, undefined, typeof code === "string" ? code : undefined));
      upRes.on("error", (err) => {
        finish(null, err.message);
        res.destroy(err);
      });
    });
    upReq.on("error", (err) => {
      if (answered || res.destroyed) return;
      // A pooled socket the slot closed while idle: the request never reached it, so resend once.
      if (upReq.reusedSocket && isConnectionReset(err) && retry("resend", up, finish)) return;
      const timedOut = err.message.includes("did not answer");
      const message = timedOut
        ? err.message
        : `slot ${up.colour} (${up.version}) is unreachable: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
      // The slot dropped the connection before answering: the version failed this request, but
      // the warm colour still answers the client.
      if (!timedOut && !res.headersSent && isConnectionFailure(err) && retry("failover", up, finish)) {
        finish(null, message, "slot-unreachable");
        return;
      }
      if (!res.headersSent)
        sendError(res, timedOut ? 504 : 503, timedOut ? "slot-timeout" : "slot-unreachable", message, up);
      finish(null, message);
    });
    res.on("close", () => {
      if (res.writableFinished) return;
      upReq.destroy();
      // The client left (or its request timed out): its doing, not the version's.
      finish(499, "client closed the connection", "client-closed");
    });
    return upReq;
  }

  function sendError(res: ServerResponse, status: number, code: string, error: string, up?: Upstream): void {
    const payload = JSON.stringify({ error, code });
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(payload)),
      [ERROR_CODE_HEADER]: code,
    };
    if (up) {
      headers["x-modelship-slot"] = up.colour;
      headers["x-modelship-version"] = up.version;
    }
    res.writeHead(status, headers);
    res.end(payload);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? "127.0.0.1";

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    setSlot(colour, upstream) {
      const old = slots[colour];
      if (upstream === null) {
        if (old && live === old) live = null;
        if (old && fallback === old) fallback = null;
        slots[colour] = null;
        old?.agent.destroy();
        return;
      }
      const u = new URL(upstream.url);
      const next: Upstream = {
        colour,
        url: upstream.url,
        hostname: u.hostname.replace(/^\[|\]$/g, ""),
        port: Number(u.port),
        host: u.host,
        version: upstream.version,
        agent: new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 4_000 }),
        inflight: 0,
        requests: 0,
        errors: 0,
        failedOver: 0,
        samples: [],
        idleWaiters: [],
      };
      slots[colour] = next;
      if (old && live === old) live = next;
      old?.agent.destroy();
    },
    switchTo(colour) {
      if (colour === null) {
        live = null;
        fallback = null;
        return;
      }
      const next = slots[colour];
      if (!next) throw new Error(`cannot switch to ${colour}: no slot registered`);
      if (live !== next) fallback = live;
      live = next;
    },
    active() {
      return live ? { colour: live.colour, version: live.version, url: live.url } : null;
    },
    stats(colour) {
      const s = slots[colour];
      if (!s) return null;
      return {
        colour,
        url: s.url,
        version: s.version,
        inflight: s.inflight,
        requests: s.requests,
        errors: s.errors,
        failedOver: s.failedOver,
      };
    },
    samples(colour, sinceMs) {
      return (slots[colour]?.samples.slice(-sampleLimit) ?? []).filter((s) => s.at >= sinceMs);
    },
    waitIdle(colour, timeoutMs) {
      const s = slots[colour];
      if (!s || s.inflight === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        s.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
    connections: () => open,
    async close() {
      live = null;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const c of ["blue", "green"] as const) slots[c]?.agent.destroy();
    },
  };
}

/** Header lines (a flat name, value list) without hop-by-hop ones, those named in `connection`, or `drop`. */
function endToEndHeaders(raw: string[], connection: string | undefined, drop: ReadonlySet<string>): string[] {
  const tokens =
    connection === undefined
      ? undefined
      : connection
          .toLowerCase()
          .split(",")
          .map((t) => t.trim());
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (drop.has(name) || tokens?.includes(name) === true) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

function isConnectionFailure(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && CONNECTION_FAILURES.has(code);
}

function isConnectionReset(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED";
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
