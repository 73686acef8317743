import { Agent, createServer, request as httpRequest } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AnalysisSample, Colour } from "../../core/rollout/rollout-types.ts";

/** Where a slot listens and which model version it serves. */
export type SlotUpstream = { url: string; version: string };

export type SlotStats = {
  colour: Colour;
  url: string;
  version: string;
  /** Requests forwarded to this slot whose response has not finished yet. */
  inflight: number;
  requests: number;
  /** Responses with status >= 500, including the router's own 503/504 for this slot. */
  errors: number;
};

/** A sample of one proxied request, kept so a post-switch check can judge real traffic. */
export type RoutedSample = AnalysisSample & { at: number };

export type RouterOptions = {
  host?: string;
  port: number;
  /** Largest request body forwarded, in bytes; larger bodies get 413. */
  maxBodyBytes?: number;
  /** Time allowed for a slot to answer before the router answers 504. */
  upstreamTimeoutMs?: number;
  /** How many recent samples each slot keeps. */
  sampleLimit?: number;
};

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
  close(): Promise<void>;
};

type Upstream = {
  colour: Colour;
  url: string;
  hostname: string;
  port: number;
  version: string;
  agent: Agent;
  inflight: number;
  requests: number;
  errors: number;
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

/** Starts the public reverse proxy that sends every request to the live colour. */
export async function startRouter(opts: RouterOptions): Promise<Router> {
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const upstreamTimeoutMs = opts.upstreamTimeoutMs ?? 60_000;
  const sampleLimit = opts.sampleLimit ?? 10_000;
  const slots: Record<Colour, Upstream | null> = { blue: null, green: null };
  // The one reference every request reads: swapping it is the switch.
  let live: Upstream | null = null;

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 5_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, maxBody);
    } catch (err) {
      const tooLarge = (err as Error).message === "too-large";
      if (!res.headersSent && !res.destroyed) {
        sendError(
          res,
          tooLarge ? 413 : 400,
          tooLarge ? `request body over ${maxBody} bytes` : "request aborted",
        );
      }
      return;
    }
    const up = live;
    if (up === null) {
      sendError(res, 503, "no model version is deployed");
      return;
    }
    up.inflight++;
    up.requests++;
    const started = performance.now();
    let finished = false;
    const finish = (status: number | null, error?: string) => {
      if (finished) return;
      finished = true;
      up.inflight--;
      if (status === null || status >= 500) up.errors++;
      const sample: RoutedSample = { status, latencyMs: performance.now() - started, at: Date.now() };
      if (error !== undefined) sample.error = error;
      up.samples.push(sample);
      if (up.samples.length > sampleLimit) up.samples.splice(0, up.samples.length - sampleLimit);
      if (up.inflight === 0) for (const wake of up.idleWaiters.splice(0)) wake();
    };
    forward(up, req, res, body, finish, true);
  }

  function forward(
    up: Upstream,
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    finish: (status: number | null, error?: string) => void,
    mayRetry: boolean,
  ): void {
    const headers = stripHopByHop(req.headers);
    headers["host"] = `${up.hostname}:${up.port}`;
    headers["content-length"] = String(body.length);
    const upReq = httpRequest({
      hostname: up.hostname,
      port: up.port,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers,
      agent: up.agent,
    });
    let answered = false;
    upReq.setTimeout(upstreamTimeoutMs, () => {
      upReq.destroy(new Error(`slot ${up.colour} did not answer within ${upstreamTimeoutMs} ms`));
    });
    upReq.on("response", (upRes) => {
      answered = true;
      const out = stripHopByHop(upRes.headers);
      out["x-modelship-slot"] = up.colour;
      out["x-modelship-version"] = up.version;
      const status = upRes.statusCode ?? 502;
      res.writeHead(status, out);
      upRes.pipe(res);
      upRes.on("end", () => finish(status));
      upRes.on("error", (err) => {
        finish(null, err.message);
        res.destroy(err);
      });
    });
    upReq.on("error", (err) => {
      if (answered) return;
      // A pooled socket the slot closed while idle: the request never reached it, so resend once.
      if (mayRetry && upReq.reusedSocket && isConnectionReset(err)) {
        forward(up, req, res, body, finish, false);
        return;
      }
      const timedOut = err.message.includes("did not answer");
      const message = timedOut
        ? err.message
        : `slot ${up.colour} (${up.version}) is unreachable: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
      if (!res.headersSent && !res.destroyed) sendError(res, timedOut ? 504 : 503, message, up);
      finish(null, message);
    });
    res.on("close", () => {
      if (!res.writableFinished) {
        upReq.destroy();
        finish(null, "client closed the connection");
      }
    });
    upReq.end(body);
  }

  function sendError(res: ServerResponse, status: number, error: string, up?: Upstream): void {
    const payload = JSON.stringify({ error });
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(payload)),
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
        version: upstream.version,
        agent: new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 4_000 }),
        inflight: 0,
        requests: 0,
        errors: 0,
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
        return;
      }
      const next = slots[colour];
      if (!next) throw new Error(`cannot switch to ${colour}: no slot registered`);
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
      };
    },
    samples(colour, sinceMs) {
      return (slots[colour]?.samples ?? []).filter((s) => s.at >= sinceMs);
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

function stripHopByHop(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connectionTokens = String(headers["connection"] ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || connectionTokens.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

function isConnectionReset(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED";
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error("too-large"));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("aborted")));
  });
}
