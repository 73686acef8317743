import { Agent, createServer, request as httpRequest } from "node:http";
import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import { createServer as createNetServer, Socket as NetSocket } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { ROUTING_HEADERS } from "../../core/monitoring/prediction-record.ts";
import type { TrafficKind, Variant } from "../../core/monitoring/prediction-record.ts";
import { compareAnswers, predictionOf } from "../../core/rollout/compare-answers.ts";
import { percentile } from "../../core/rollout/judge-analysis.ts";
import type { Colour, Phase } from "../../core/rollout/rollout-types.ts";
import { routesToCandidate } from "../../core/rollout/sticky-bucket.ts";
import type { ShadowStats, VariantStats } from "../../core/rollout/traffic-status.ts";
import { answerClientError, ERROR_CODE_HEADER } from "../serve/serve-error.ts";
import { handOff, tell, type SlotChannel } from "./connection-handoff.ts";
import { FeedbackBodySchema, FeedbackStore } from "./feedback-store.ts";
import { FEEDBACK_PATH, isMessage, type ToRouter } from "./handoff-messages.ts";
import {
  endToEndHeaders,
  FORWARD_DROPS,
  HOP_BY_HOP,
  routingHeaders,
  SHADOW_DROPS,
} from "./forward-headers.ts";
import { capture, CAPTURE_BYTES, parseJson, readLimited } from "./read-body.ts";
import { createRouterMetrics } from "./router-metrics.ts";
import { ROUTER_DEFAULTS, STICKY_HEADER } from "./router-types.ts";
import type {
  Router,
  RoutedSample,
  RouterOptions,
  SlotStats,
  SlotUpstream,
  TrafficSplit,
} from "./router-types.ts";

export type { ShadowStats, VariantStats };
export type { Router, RoutedSample, RouterOptions, SlotStats, SlotUpstream, TrafficSplit };
export { ROUTER_DEFAULTS, STICKY_HEADER };

import { SMOKE_HEADER, SMOKE_SLOT_HEADER } from "./forward-headers.ts";

export { SMOKE_HEADER, SMOKE_SLOT_HEADER };

/** Body bytes kept for a resend when a pooled connection turns out to be closed (larger bodies are not resent). */
const RESEND_WINDOW_BYTES = 256 * 1024;

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
  /** `modelship_router_requests_total` children by variant, then status (0: no answer). */
  counters: Record<Variant, Map<number, { inc(n?: number): void }>>;
  /** Counters since the current split started (or since the slot was registered). */
  window: { since: number; requests: number; errors: number; clientErrors: number };
  shadow: ShadowStats;
  /** The slot process's IPC channel; `handoffReady` once it said it adopts sockets. */
  channel: SlotChannel | null;
  handoffReady: boolean;
  onMessage: ((m: unknown, handle: unknown) => void) | null;
};

/** Inference requests have no side effect in a slot, so one whose connection broke may be sent again. */
const INFER_PATH = /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer(\?|$)/;
/** Errors that mean the slot never took the request in hand (refused, reset, broken pipe, socket gone). */
const CONNECTION_FAILURES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ECONNABORTED", "EHOSTUNREACH"]);

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
  // Where client traffic goes besides `live`: a weighted split or shadow copies.
  let split: (TrafficSplit & { to: Upstream }) | null = null;
  const stickyHeader = (opts.stickyHeader ?? STICKY_HEADER).toLowerCase();
  const random = opts.random ?? Math.random;
  const metrics = createRouterMetrics();
  const feedback = new FeedbackStore();
  const shadowAgent = new Agent({ keepAlive: true, maxSockets: o.shadowLimit, timeout: 4_000 });
  let shadowInflight = 0;
  // Labelled metric children, looked up once rather than per request.
  const durationOf = {
    stable: metrics.duration.labels("stable"),
    candidate: metrics.duration.labels("candidate"),
  };

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
  // The public port accepts without reading, so a connection can still be handed to a slot.
  // No Nagle delay on client sockets, as node:http's own listener sets (handed ones keep it).
  const listener = createNetServer({ pauseOnConnect: true, noDelay: true }, (socket) => accept(socket));
  listener.maxConnections = o.maxConnections;
  // The HTTP server never listens itself: this starts its header and request timeout checks.
  server.emit("listening");
  let phase: Phase | null = null;
  // The slot that may hold handed connections: told to release them when traffic moves.
  let handedTo: Upstream | null = null;

  function accept(socket: Socket): void {
    const to = handoffTarget();
    const proxy = () => {
      server.emit("connection", socket);
      socket.resume();
    };
    if (to === null || to.channel === null) return proxy();
    handedTo = to;
    handOff(
      to.channel,
      socket,
      { type: "modelship:conn", colour: to.colour, version: to.version, variant: "stable" },
      proxy,
    );
  }

  /** The live slot in the steady state (nothing moving, nothing split or copied), when it adopts connections. */
  function handoffTarget(): Upstream | null {
    if (!opts.handoff || phase !== null || split !== null || live === null) return null;
    return live.handoffReady && live.channel?.connected === true ? live : null;
  }

  /** After any change of state: a slot that held handed connections and is no longer the target releases them. */
  function refreshHandoff(): void {
    const next = handoffTarget();
    if (handedTo !== null && handedTo !== next && handedTo.channel)
      tell(handedTo.channel, { type: "modelship:release" });
    if (handedTo !== next) handedTo = null;
  }

  function onSlotMessage(up: Upstream, m: unknown, handle: unknown): void {
    if (!isMessage<ToRouter>(m)) return;
    if (m.type === "modelship:back" && handle instanceof NetSocket) {
      // A connection the slot gave back: it is served here from now on.
      server.emit("connection", handle);
      handle.resume();
    } else if (m.type === "modelship:ready") {
      up.handoffReady = true;
    } else if (m.type === "modelship:served") {
      countServed(up, m.done);
    } else if (m.type === "modelship:ask" && up.channel) {
      const channel = up.channel;
      void answerOwn(m.method, m.url, m.body).then((a) =>
        tell(channel, { type: "modelship:answer", id: m.id, ...a }),
      );
    }
  }

  /** Counts requests a slot answered on handed connections as if the router had proxied them. */
  function countServed(up: Upstream, done: number[]): void {
    const at = Date.now();
    const variant = variantOf(up);
    const duration = durationOf[variant];
    const n = done.length >> 1;
    // Only the newest `sampleLimit` of a batch can survive the trim below: older ones are not kept.
    const firstSample = Math.max(0, n - sampleLimit);
    // Counters move once per run of equal codes (a batch is mostly one code), not once per request.
    let runCode = -1;
    let run = 0;
    for (let i = 0; i < n; i++) {
      const code = done[2 * i] ?? 0;
      const status = code === 0 ? null : code;
      const latencyMs = done[2 * i + 1] ?? 0;
      if (code !== runCode) {
        if (run > 0) requestCounter(up, variant, runCode === 0 ? null : runCode).inc(run);
        runCode = code;
        run = 0;
      }
      run++;
      if (status === null || status >= 500) up.errors++;
      duration.observe(latencyMs / 1000);
      countWindow(up.window, status);
      if (i >= firstSample) up.samples.push({ status, latencyMs, at, origin: "traffic" });
    }
    if (run > 0) requestCounter(up, variant, runCode === 0 ? null : runCode).inc(run);
    up.requests += n;
    if (up.samples.length >= sampleLimit + trimStep) up.samples.splice(0, up.samples.length - sampleLimit);
  }

  /** The router's own endpoints, answered for a request that came on a handed connection. */
  async function answerOwn(
    method: string,
    url: string,
    body: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    if (method === "POST" && FEEDBACK_PATH.test(url)) return feedbackAnswer(body);
    try {
      const text = await metrics.registry.metrics();
      return { status: 200, headers: { "content-type": metrics.registry.contentType }, body: text };
    } catch (err) {
      return errorAnswer(500, "metrics-failed", String(err));
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    // While the live slot takes connections, proxied clients reconnect after this answer and are handed to it.
    if (handoffTarget() !== null && !isSmoke(req)) res.shouldKeepAlive = false;
    const url = req.url ?? "/";
    if (req.method === "GET" && (url === "/metrics" || url.startsWith("/metrics?"))) return serveMetrics(res);
    if (req.method === "POST" && FEEDBACK_PATH.test(url)) return void receiveFeedback(req, res);
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > o.maxBodyBytes) return refuseTooLarge(req, res);
    const smoke = isSmoke(req);
    const up = smoke ? smokeTarget(req) : pick(req);
    if (up === null) {
      sendError(res, 503, "no-version-deployed", "no model version is deployed");
      return;
    }
    const s = split;
    const shadowTo = !smoke && s?.mode === "shadow" && s.to !== up && random() * 100 < s.weight ? s.to : null;
    const traffic: TrafficKind = smoke ? "smoke" : "client";
    streamBody(up, req, res, track(up, traffic), traffic, shadowTo);
  }

  /** The colour one client request goes to: the split's colour for its share (sticky by key), else the live one. */
  function pick(req: IncomingMessage): Upstream | null {
    const s = split;
    if (s?.mode === "split" && slots[s.colour] === s.to) {
      const key = req.headers[stickyHeader];
      if (routesToCandidate(s.weight, typeof key === "string" ? key : undefined, random)) return s.to;
    }
    return live;
  }

  /** A smoke request reaches the colour it names (when registered), else the live one. */
  function smokeTarget(req: IncomingMessage): Upstream | null {
    const named = req.headers[SMOKE_SLOT_HEADER];
    if (named === "blue" || named === "green") return slots[named] ?? live;
    return live;
  }

  function variantOf(up: Upstream): Variant {
    return split !== null && split.to === up ? "candidate" : "stable";
  }

  /** Counts one request against a slot; the returned `finish` records how it ended (once). */
  function track(up: Upstream, traffic: TrafficKind): Finish {
    up.inflight++;
    up.requests++;
    const started = performance.now();
    const origin: NonNullable<RoutedSample["origin"]> = traffic === "smoke" ? "smoke" : "traffic";
    const variant = variantOf(up);
    const window = up.window;
    let finished = false;
    return (status, error, code) => {
      if (finished) return;
      finished = true;
      up.inflight--;
      if (status === null || status >= 500) up.errors++;
      if (origin === "traffic") {
        const seconds = (performance.now() - started) / 1000;
        requestCounter(up, variant, status).inc();
        durationOf[variant].observe(seconds);
        countWindow(window, status);
      }
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

  /** The `modelship_router_requests_total` child of one slot, variant and status, made on first use. */
  function requestCounter(up: Upstream, variant: Variant, status: number | null): { inc(n?: number): void } {
    const code = status ?? 0;
    let child = up.counters[variant].get(code);
    if (!child) {
      child = metrics.requests.labels(variant, up.version, String(code));
      up.counters[variant].set(code, child);
    }
    return child;
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
  function streamBody(
    up: Upstream,
    req: IncomingMessage,
    res: ServerResponse,
    finish: Finish,
    traffic: TrafficKind,
    shadowTo: Upstream | null,
  ): void {
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let received = 0;
    let resent = false;
    let failedOver = false;
    // The stable answer and the shadow's meet here to be compared.
    const pair: ShadowPair | null = shadowTo ? { stable: undefined, shadow: undefined } : null;
    const onAnswer = (from: Upstream, status: number, body: Buffer | null) =>
      answered(from, status, body, pair);
    let upReq = forward(up, req, res, finish, retry, traffic, onAnswer);
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
        fin = track(alt, traffic);
      }
      upReq = forward(to, req, res, fin, retry, traffic, onAnswer);
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
      // Only whole bodies are copied: a larger one was not kept.
      if (shadowTo && pair && keptBytes === received) sendShadow(shadowTo, req, Buffer.concat(kept), pair);
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
    traffic: TrafficKind,
    onAnswer: (from: Upstream, status: number, body: Buffer | null) => void,
  ): ClientRequest {
    // Raw header lines, as received, less hop-by-hop ones (and the smoke token); without a
    // content-length the body goes chunked, as it arrives.
    const headers = endToEndHeaders(req.rawHeaders, req.headers["connection"], FORWARD_DROPS);
    const variant = variantOf(up);
    headers.push("host", up.host, ...routingHeaders(variant, up.version, traffic));
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
      const body = traffic === "client" && status === 200 ? capture(upRes) : null;
      upRes.pipe(res);
      upRes.on("end", () => {
        finish(status, undefined, typeof code === "string" ? code : undefined);
        onAnswer(up, status, body ? Buffer.concat(body.chunks) : null);
      });
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
      headers[ROUTING_HEADERS.version] = up.version;
      headers[ROUTING_HEADERS.variant] = variantOf(up);
    }
    res.writeHead(status, headers);
    res.end(payload);
  }

  /** A client's answer: its prediction is remembered for feedback, and a shadow's pair gets it. */
  function answered(from: Upstream, status: number, body: Buffer | null, pair: ShadowPair | null): void {
    const json = body && (pair || body.includes('"id"')) ? parseJson(body) : undefined;
    remember(from, json);
    if (pair) settle(pair, "stable", status === 200 ? json : undefined);
  }

  function remember(from: Upstream, json: unknown): void {
    const id = (json as { id?: unknown } | undefined)?.id;
    if (typeof id !== "string") return;
    const prediction = predictionOf(json);
    if (prediction) feedback.remember(id, slotKey(from), prediction);
  }

  /** Sends a copy of a client's whole request to the shadow; its answer never reaches the client. */
  function sendShadow(to: Upstream, req: IncomingMessage, body: Buffer, pair: ShadowPair): void {
    if (shadowInflight >= o.shadowLimit) {
      to.shadow.skipped++;
      return;
    }
    shadowInflight++;
    to.shadow.copies++;
    const started = performance.now();
    const headers = endToEndHeaders(req.rawHeaders, req.headers["connection"], SHADOW_DROPS);
    headers.push("host", to.host, "content-length", String(body.length));
    headers.push(...routingHeaders("candidate", to.version, "shadow"));
    let done = false;
    const end = (status: number | null, answer: unknown, error?: string) => {
      if (done) return;
      done = true;
      shadowInflight--;
      metrics.shadow.labels(to.version, String(status ?? 0)).inc();
      countWindow(to.window, status);
      if (status === null || status >= 500) to.shadow.errors++;
      const sample: RoutedSample = {
        status,
        latencyMs: performance.now() - started,
        at: Date.now(),
        origin: "traffic",
      };
      if (error !== undefined) sample.error = error;
      to.samples.push(sample);
      if (to.samples.length >= sampleLimit + trimStep) to.samples.splice(0, to.samples.length - sampleLimit);
      remember(to, answer);
      settle(pair, "shadow", status === 200 ? answer : undefined, to);
    };
    const upReq = httpRequest({
      hostname: to.hostname,
      port: to.port,
      method: req.method ?? "POST",
      path: req.url ?? "/",
      headers,
      agent: shadowAgent,
    });
    upReq.setTimeout(o.upstreamTimeoutMs, () => upReq.destroy(new Error("shadow did not answer in time")));
    upReq.on("response", (upRes) => {
      const kept = capture(upRes);
      upRes.on("end", () => {
        const status = upRes.statusCode ?? 502;
        end(status, status === 200 && !kept.over ? parseJson(Buffer.concat(kept.chunks)) : undefined);
      });
      upRes.on("error", (err) => end(null, undefined, err.message));
      upRes.resume();
    });
    upReq.on("error", (err) => end(null, undefined, err.message));
    upReq.end(body);
  }

  /** Compares a stable answer with its shadow's once both arrived. */
  function settle(pair: ShadowPair, side: "stable" | "shadow", answer: unknown, to?: Upstream): void {
    pair[side] = answer ?? null;
    if (to) pair.to = to;
    if (pair.stable === undefined || pair.shadow === undefined || !pair.to) return;
    if (pair.stable === null || pair.shadow === null) return;
    const a = compareAnswers([pair.stable], [pair.shadow], o.agreementTolerance);
    if (a.rows === 0) return;
    const t = pair.to.shadow;
    const sumDiff = (t.meanAbsDifference ?? 0) * (t.kind === "regression" ? t.compared : 0);
    t.compared++;
    t.agreed += a.agreed;
    t.kind = a.kind;
    t.agreementRate = t.agreed / t.compared;
    t.meanAbsDifference = a.kind === "regression" ? (sumDiff + (a.maxDifference ?? 0)) / t.compared : null;
  }

  async function receiveFeedback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text: string;
    try {
      text = (await readLimited(req, CAPTURE_BYTES)).toString("utf8");
    } catch (err) {
      return sendError(res, 400, "feedback-invalid", `feedback body: ${(err as Error).message}`);
    }
    const a = feedbackAnswer(text);
    res.writeHead(a.status, a.headers);
    res.end(a.body);
  }

  /** Scores one feedback body against the remembered answers. */
  function feedbackAnswer(text: string): { status: number; headers: Record<string, string>; body: string } {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return errorAnswer(400, "feedback-invalid", `feedback body: ${(err as Error).message}`);
    }
    const parsed = FeedbackBodySchema.safeParse(json);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      const where = i && i.path.length > 0 ? `${i.path.join(".")}: ` : "";
      return errorAnswer(400, "feedback-invalid", `feedback body: ${where}${i?.message ?? "invalid"}`);
    }
    const scored = feedback.score(parsed.data);
    if (scored === null) {
      return errorAnswer(
        404,
        "feedback-unknown-id",
        `no answered inference request with id '${parsed.data.id}' (send the V2 request's own "id"; ids are kept for the last 100,000 answers, and scored once)`,
      );
    }
    const body = JSON.stringify({
      id: parsed.data.id,
      scored: scored.map((x) => {
        const up = upstreamOfKey(x.slot);
        return { ...x, variant: up ? variantOf(up) : null };
      }),
    });
    return {
      status: 200,
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
      body,
    };
  }

  function upstreamOfKey(key: string): Upstream | null {
    for (const c of ["blue", "green"] as const) {
      const s = slots[c];
      if (s && slotKey(s) === key) return s;
    }
    return null;
  }

  function serveMetrics(res: ServerResponse): void {
    void metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(text);
      },
      (err: unknown) => sendError(res, 500, "metrics-failed", String(err)),
    );
  }

  /** After every switch, split or slot change: the weights shown, and where connections go. */
  function changed(): void {
    showWeights();
    refreshHandoff();
  }

  /** `modelship_traffic_weight` follows every switch and split. */
  function showWeights(): void {
    metrics.weight.reset();
    if (!live) return;
    const s = split;
    const stable = s?.mode === "split" ? 100 - s.weight : 100;
    metrics.weight.labels("stable", live.version).set(stable);
    if (s) metrics.weight.labels("candidate", s.to.version).set(s.mode === "split" ? s.weight : 0);
  }

  /** A slot replaced or forgotten: its messages are no longer heard. */
  function detach(up: Upstream | null | undefined): void {
    if (up?.channel && up.onMessage) up.channel.off("message", up.onMessage);
    if (handedTo === up) handedTo = null;
  }

  function resetWindow(up: Upstream): void {
    up.window = { since: Date.now(), requests: 0, errors: 0, clientErrors: 0 };
    up.shadow = emptyShadow();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    listener.once("error", reject);
    listener.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      listener.off("error", reject);
      server.off("error", reject);
      resolve();
    });
  });
  const port = (listener.address() as AddressInfo).port;
  const host = opts.host ?? "127.0.0.1";

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    setSlot(colour, upstream) {
      const old = slots[colour];
      if (upstream === null) {
        if (old && live === old) live = null;
        if (old && fallback === old) fallback = null;
        if (old && (split?.to === old || live === null)) split = null;
        slots[colour] = null;
        old?.agent.destroy();
        detach(old);
        changed();
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
        window: { since: Date.now(), requests: 0, errors: 0, clientErrors: 0 },
        shadow: emptyShadow(),
        channel: upstream.channel ?? null,
        handoffReady: false,
        onMessage: null,
      };
      if (next.channel) {
        const listener = (m: unknown, handle: unknown) => onSlotMessage(next, m, handle);
        next.onMessage = listener;
        next.channel.on("message", listener);
      }
      slots[colour] = next;
      if (old && live === old) live = next;
      if (old && split?.to === old) split = { ...split, to: next };
      old?.agent.destroy();
      detach(old);
      changed();
    },
    switchTo(colour) {
      if (colour === null) {
        live = null;
        fallback = null;
        split = null;
        changed();
        return;
      }
      const next = slots[colour];
      if (!next) throw new Error(`cannot switch to ${colour}: no slot registered`);
      if (live !== next || split !== null) metrics.switches.inc();
      if (live !== next) fallback = live;
      live = next;
      split = null;
      changed();
    },
    setTraffic(s) {
      const to = slots[s.colour];
      if (!to) throw new Error(`cannot split traffic to ${s.colour}: no slot registered`);
      if (!live || live === to)
        throw new Error(`cannot split traffic to ${s.colour}: it must not be the live colour`);
      if (!(s.weight >= 0 && s.weight <= 100)) throw new Error(`weight ${s.weight} is not a percent`);
      // A new split compares the variants from its own start; a canary's next weight keeps counting.
      if (split === null || split.to !== to || split.mode !== s.mode) {
        resetWindow(live);
        resetWindow(to);
        feedback.reset();
      }
      split = { colour: s.colour, weight: s.weight, mode: s.mode, to };
      metrics.switches.inc();
      changed();
    },
    split: () => (split ? { colour: split.colour, weight: split.weight, mode: split.mode } : null),
    variantOf(colour) {
      const s = slots[colour];
      return s ? variantOf(s) : "stable";
    },
    variantStats(colour) {
      const s = slots[colour];
      if (!s) return null;
      const w = s.window;
      const latencies = s.samples
        .filter((x) => x.at >= w.since && x.origin === "traffic" && x.status !== null)
        .map((x) => x.latencyMs)
        .sort((a, b) => a - b);
      const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
      return {
        since: new Date(w.since).toISOString(),
        requests: w.requests,
        errors: w.errors,
        clientErrors: w.clientErrors,
        errorRate: w.requests === 0 ? 0 : w.errors / w.requests,
        p50Ms: round(percentile(latencies, 0.5)),
        p95Ms: round(percentile(latencies, 0.95)),
        p99Ms: round(percentile(latencies, 0.99)),
        feedback: feedback.feedback(slotKey(s)),
        shadow: s.shadow.copies > 0 || s.shadow.skipped > 0 ? { ...s.shadow } : null,
      };
    },
    setPhase(next) {
      phase = next;
      metrics.setPhase(next);
      refreshHandoff();
    },
    countRollout: (outcome) => metrics.rollouts.labels(outcome).inc(),
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
        listener.close(() => resolve());
        server.close();
        server.closeAllConnections();
      });
      for (const c of ["blue", "green"] as const) slots[c]?.agent.destroy();
      shadowAgent.destroy();
    },
  };
}

function errorAnswer(
  status: number,
  code: string,
  error: string,
): { status: number; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ error, code });
  const headers = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    [ERROR_CODE_HEADER]: code,
  };
  return { status, headers, body };
}

/** A stable answer and its shadow's: undefined until it arrives, null when it was no 200 answer. */
type ShadowPair = { stable: unknown; shadow: unknown; to?: Upstream };

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

function countWindow(w: Upstream["window"], status: number | null): void {
  w.requests++;
  if (status === null || status >= 500) w.errors++;
  else if (status >= 400 && status !== 499) w.clientErrors++;
}

/** The key feedback is tallied under: one slot process serving one version. */
function slotKey(up: { colour: Colour; version: string }): string {
  return `${up.colour}@${up.version}`;
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
