import { Agent, createServer, request as httpRequest } from "node:http";
import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ROUTING_HEADERS } from "../../core/monitoring/prediction-record.ts";
import type { TrafficKind, Variant } from "../../core/monitoring/prediction-record.ts";
import { compareAnswers, predictionOf } from "../../core/rollout/compare-answers.ts";
import { percentile } from "../../core/rollout/judge-analysis.ts";
import type { AnalysisSample, Colour, Phase, SlotTraffic } from "../../core/rollout/rollout-types.ts";
import { routesToCandidate } from "../../core/rollout/sticky-bucket.ts";
import type { ShadowStats, VariantStats } from "../../core/rollout/traffic-status.ts";
import { answerClientError, ERROR_CODE_HEADER } from "../serve/serve-error.ts";
import { FeedbackBodySchema, FeedbackStore } from "./feedback-store.ts";
import {
  endToEndHeaders,
  FORWARD_DROPS,
  HOP_BY_HOP,
  routingHeaders,
  SHADOW_DROPS,
} from "./forward-headers.ts";
import { createRouterMetrics, type RolloutOutcomeLabel } from "./router-metrics.ts";

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
  /** Request header whose value keeps one user on one variant of a split. Default `x-modelship-key`. */
  stickyHeader?: string;
  /** Source of randomness for requests without a key (tests hand in a seeded one). Default Math.random. */
  random?: () => number;
  /** Most shadow copies in flight at once; more are skipped, never queued. Default 128. */
  shadowLimit?: number;
  /** Regression: a shadow answer agrees when it differs by at most this share of max(1, |stable|). Default 0.1. */
  agreementTolerance?: number;
};

/** Where traffic goes besides the live colour: a split of client requests, or shadow copies. */
export type TrafficSplit = { colour: Colour; weight: number; mode: "split" | "shadow" };

export type { ShadowStats, VariantStats };

import { SMOKE_HEADER, SMOKE_SLOT_HEADER } from "./forward-headers.ts";

export { SMOKE_HEADER, SMOKE_SLOT_HEADER };
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

/** Answer bytes kept to read a prediction or compare a shadow (larger answers are not read). */
const CAPTURE_BYTES = 64 * 1024;
const FEEDBACK_PATH = /^\/v2\/models\/[^/?]+(\/versions\/[^/?]+)?\/feedback(\?|$)/;

/** Body bytes kept for a resend when a pooled connection turns out to be closed (larger bodies are not resent). */
const RESEND_WINDOW_BYTES = 256 * 1024;

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
  /** `modelship_router_requests_total` children by variant, then status (0: no answer). */
  counters: Record<Variant, Map<number, { inc(): void }>>;
  /** Counters since the current split started (or since the slot was registered). */
  window: { since: number; requests: number; errors: number; clientErrors: number };
  shadow: ShadowStats;
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
  server.maxConnections = o.maxConnections;

  function handle(req: IncomingMessage, res: ServerResponse): void {
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
  function requestCounter(up: Upstream, variant: Variant, status: number | null): { inc(): void } {
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
    let json: unknown;
    try {
      json = JSON.parse((await readLimited(req, CAPTURE_BYTES)).toString("utf8"));
    } catch (err) {
      return sendError(res, 400, "feedback-invalid", `feedback body: ${(err as Error).message}`);
    }
    const parsed = FeedbackBodySchema.safeParse(json);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      const where = i && i.path.length > 0 ? `${i.path.join(".")}: ` : "";
      return sendError(res, 400, "feedback-invalid", `feedback body: ${where}${i?.message ?? "invalid"}`);
    }
    const scored = feedback.score(parsed.data);
    if (scored === null) {
      return sendError(
        res,
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
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
    });
    res.end(body);
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

  /** `modelship_traffic_weight` follows every switch and split. */
  function showWeights(): void {
    metrics.weight.reset();
    if (!live) return;
    const s = split;
    const stable = s?.mode === "split" ? 100 - s.weight : 100;
    metrics.weight.labels("stable", live.version).set(stable);
    if (s) metrics.weight.labels("candidate", s.to.version).set(s.mode === "split" ? s.weight : 0);
  }

  function resetWindow(up: Upstream): void {
    up.window = { since: Date.now(), requests: 0, errors: 0, clientErrors: 0 };
    up.shadow = emptyShadow();
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
        if (old && (split?.to === old || live === null)) split = null;
        slots[colour] = null;
        old?.agent.destroy();
        showWeights();
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
      };
      slots[colour] = next;
      if (old && live === old) live = next;
      if (old && split?.to === old) split = { ...split, to: next };
      old?.agent.destroy();
      showWeights();
    },
    switchTo(colour) {
      if (colour === null) {
        live = null;
        fallback = null;
        split = null;
        showWeights();
        return;
      }
      const next = slots[colour];
      if (!next) throw new Error(`cannot switch to ${colour}: no slot registered`);
      if (live !== next || split !== null) metrics.switches.inc();
      if (live !== next) fallback = live;
      live = next;
      split = null;
      showWeights();
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
      showWeights();
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
    setPhase: (phase) => metrics.setPhase(phase),
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
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const c of ["blue", "green"] as const) slots[c]?.agent.destroy();
      shadowAgent.destroy();
    },
  };
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

/** Keeps the first CAPTURE_BYTES of a response while it is piped on; `over` once it is larger. */
function capture(res: IncomingMessage): { chunks: Buffer[]; over: boolean } {
  const kept = { chunks: [] as Buffer[], over: false };
  let size = 0;
  res.on("data", (chunk: Buffer) => {
    if (kept.over) return;
    size += chunk.length;
    if (size > CAPTURE_BYTES) {
      kept.over = true;
      kept.chunks = [];
    } else kept.chunks.push(chunk);
  });
  return kept;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
