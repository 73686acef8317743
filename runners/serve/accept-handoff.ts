import { createServer, ServerResponse, type IncomingMessage, type Server } from "node:http";
import { Socket } from "node:net";
import type { Serializable } from "node:child_process";
import { ROUTING_HEADERS } from "../../core/monitoring/prediction-record.ts";
import { isMessage, routerOwned, type ToRouter, type ToSlot } from "../router/handoff-messages.ts";
import { answerClientError, ERROR_CODE_HEADER } from "./serve-error.ts";

/** The limits the router's public port applies, applied here to the connections it hands over. */
export const HANDOFF_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 5_000,
  maxConnections: 512,
  keepAliveTimeoutMs: 5_000,
  /** Largest body of a request for the router's own endpoints (feedback). */
  ownBodyBytes: 64 * 1024,
};

/** How often counts of answered requests go back to the router. */
const REPORT_MS = 100;

/** Request headers only the router may set: a client's are dropped, as the router drops them. */
const CLIENT_DROPS = ["x-modelship-smoke", "x-modelship-smoke-slot", ...Object.values(ROUTING_HEADERS)];

/**
 * The connections of a server with no request in progress and no byte of a next one read: those
 * `server.closeIdleConnections()` would close. Null where Node's list is not reachable.
 */
function idleSockets(server: Server): Socket[] | null {
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === "http.server.connections");
  const list = key && (server as unknown as Record<symbol, { idle?: () => Array<{ socket?: Socket }> }>)[key];
  if (!list?.idle) return null;
  const out: Socket[] = [];
  for (const parser of list.idle()) {
    const socket = parser.socket as (Socket & { _httpMessage?: { finished: boolean } | null }) | undefined;
    if (!socket || socket.destroyed) continue;
    if (socket._httpMessage && !socket._httpMessage.finished) continue;
    out.push(socket);
  }
  return out;
}

/** This process's side of the IPC channel to the router. */
export type RouterChannel = {
  readonly connected: boolean;
  send(
    message: Serializable,
    handle?: Socket,
    options?: object,
    callback?: (e: Error | null) => void,
  ): boolean;
  on(event: "message", listener: (message: unknown, handle: unknown) => void): unknown;
};

export type AcceptHandoffOptions = {
  /** The inference server's HTTP server: requests on handed connections are given to its handlers. */
  target: Server;
  channel: RouterChannel;
  limits?: Partial<typeof HANDOFF_LIMITS>;
};

export type Handoff = {
  /** Ends handed connections: in-flight requests are answered with `Connection: close`, idle ones closed. */
  release(): void;
  /** Releases, then resolves once no request on a handed connection is in flight (or after `timeoutMs`). */
  drain(timeoutMs: number): Promise<void>;
  /** Handed connections open now. */
  connections(): number;
};

type Labels = Extract<ToSlot, { type: "modelship:conn" }>;

/** When a request on a handed connection started (`performance.now()`), kept on its response. */
const STARTED = Symbol("modelship.started");
type Timed = ServerResponse & { [STARTED]?: number };

/**
 * Adopts client connections the router passes over the IPC channel, and serves them as the
 * router would: its `x-modelship-*` answer headers, its limits, its counts (reported back), its
 * own endpoints (answered by the router over the channel).
 */
export function acceptHandoff(o: AcceptHandoffOptions): Handoff {
  const l = { ...HANDOFF_LIMITS, ...o.limits };
  const server = createServer(
    {
      headersTimeout: Math.min(l.headersTimeoutMs, l.requestTimeoutMs),
      requestTimeout: l.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, l.headersTimeoutMs / 4)),
    },
    (req, res) => onRequest(req, res),
  );
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.on("clientError", answerClientError);
  // This server never listens: the event starts Node's header and request timeout checks.
  server.emit("listening");
  let labels: Labels | null = null;
  /** The `x-modelship-*` headers of answers, built once per change of labels. */
  let answerHeaders: Record<string, string> = {};
  let releasing = false;
  let open = 0;
  /**
   * Requests in flight on handed connections. A count, not a set of responses: keeping each
   * response in a `Set` tripled the p99 at 50 connections (15 ms against 5 ms straight to the
   * server) and cost 10–20 µs of CPU per request.
   */
  let inflight = 0;
  let done: number[] = [];
  let nextAsk = 1;
  const asks = new Map<number, ServerResponse>();
  const report = setInterval(flush, REPORT_MS);
  report.unref();

  o.channel.on("message", (m, handle) => {
    if (!isMessage<ToSlot>(m)) return;
    if (m.type === "modelship:conn" && handle instanceof Socket) adopt(handle, m);
    else if (m.type === "modelship:release") release();
    else if (m.type === "modelship:answer") answer(m);
  });
  send({ type: "modelship:ready" });

  function adopt(socket: Socket, m: Labels): void {
    if (open >= l.maxConnections) return void socket.destroy();
    if (
      labels === null ||
      labels.colour !== m.colour ||
      labels.version !== m.version ||
      labels.variant !== m.variant
    )
      answerHeaders = {
        "x-modelship-slot": m.colour,
        [ROUTING_HEADERS.version]: m.version,
        [ROUTING_HEADERS.variant]: m.variant,
      };
    labels = m;
    releasing = false;
    open++;
    socket.once("close", () => open--);
    server.emit("connection", socket);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const headers = req.headers;
    // `delete` of an absent key still costs a runtime call per name: look first.
    for (const h of CLIENT_DROPS) if (headers[h] !== undefined) delete headers[h];
    if (labels !== null || releasing) res.writeHead = writeHeadLabelled;
    watchBody(req, res);
    if (routerOwned(req.method, req.url ?? "/")) return void ask(req, res);
    (res as Timed)[STARTED] = performance.now();
    inflight++;
    res.on("close", onClose);
    o.target.emit("request", req, res);
  }

  /**
   * The router's answer headers, added where the answer's head is written: set earlier with
   * `setHeader`, Node would merge every header of the handler's `writeHead` through `setHeader`.
   * The handler's own headers win over these, as they would over `setHeader`.
   */
  function writeHeadLabelled(this: ServerResponse, status: number, ...rest: unknown[]): ServerResponse {
    const write = ServerResponse.prototype.writeHead as (s: number, ...r: unknown[]) => ServerResponse;
    const reason = typeof rest[0] === "string" ? rest[0] : undefined;
    const head = reason === undefined ? rest[0] : rest[1];
    if (head !== undefined && (typeof head !== "object" || head === null || Array.isArray(head))) {
      // Raw header arrays: the labels go in as `setHeader` would put them.
      for (const [k, v] of Object.entries(answerHeaders)) if (!this.hasHeader(k)) this.setHeader(k, v);
      if (releasing) this.setHeader("connection", "close");
      return write.call(this, status, ...rest);
    }
    const merged: Record<string, unknown> = { ...answerHeaders, ...(head as object | undefined) };
    if (releasing && !Object.keys(merged).some((k) => k.toLowerCase() === "connection"))
      merged["connection"] = "close";
    return reason === undefined ? write.call(this, status, merged) : write.call(this, status, reason, merged);
  }

  function onClose(this: ServerResponse): void {
    inflight--;
    const ms = performance.now() - ((this as Timed)[STARTED] ?? 0);
    // A client that left before its answer counts 499, as the router counts it.
    done.push(this.writableFinished ? this.statusCode : 499, Math.round(ms * 1000) / 1000);
    if (releasing) setImmediate(giveBackIdle);
  }

  /** A body that pauses longer than the router allows is answered 408 and the connection closed. */
  function watchBody(req: IncomingMessage, res: ServerResponse): void {
    const length = req.headers["content-length"];
    const hasBody =
      req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
    if (req.complete || !hasBody) return;
    const socket = req.socket;
    // On the request, not the socket: a socket timeout nobody answers is a plain close.
    req.setTimeout(l.bodyIdleTimeoutMs, () => {
      if (req.complete) return;
      if (!res.headersSent) {
        const body = JSON.stringify({
          error: `no request body for ${l.bodyIdleTimeoutMs} ms`,
          code: "body-timeout",
        });
        res.writeHead(408, {
          "content-type": "application/json",
          [ERROR_CODE_HEADER]: "body-timeout",
          connection: "close",
        });
        res.end(body);
      }
      res.once("finish", () => socket.destroy());
      if (res.writableFinished) socket.destroy();
    });
    req.once("end", () => socket.setTimeout(0));
  }

  function ask(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= l.ownBodyBytes) chunks.push(c);
    });
    req.once("end", () => {
      const id = nextAsk++;
      asks.set(id, res);
      res.once("close", () => asks.delete(id));
      flush();
      const body = size <= l.ownBodyBytes ? Buffer.concat(chunks).toString("utf8") : "";
      if (!send({ type: "modelship:ask", id, method: req.method ?? "GET", url: req.url ?? "/", body })) {
        asks.delete(id);
        res.writeHead(503, { "content-type": "application/json", [ERROR_CODE_HEADER]: "router-unreachable" });
        res.end(JSON.stringify({ error: "the router is not reachable", code: "router-unreachable" }));
      }
    });
  }

  function answer(m: Extract<ToSlot, { type: "modelship:answer" }>): void {
    const res = asks.get(m.id);
    if (!res) return;
    asks.delete(m.id);
    res.writeHead(m.status, m.headers);
    res.end(m.body);
  }

  function flush(): void {
    if (done.length === 0) return;
    const batch = done;
    done = [];
    send({ type: "modelship:served", done: batch });
  }

  function send(m: ToRouter): boolean {
    if (!o.channel.connected) return false;
    try {
      o.channel.send(m, undefined, {}, () => undefined);
      return true;
    } catch {
      return false;
    }
  }

  function release(): void {
    releasing = true;
    // Answers not yet started get `Connection: close` where their head is written (writeHeadLabelled).
    giveBackIdle();
    flush();
  }

  /**
   * Idle handed connections (no byte of a next request read) go back to the router with what
   * the client may have sent since still unread in the kernel, so no request is lost; the
   * router serves them from then on. Where Node's connection list cannot be read, idle
   * connections are closed as `server.closeIdleConnections()` closes them.
   */
  function giveBackIdle(): void {
    const idle = idleSockets(server);
    if (idle === null) return server.closeIdleConnections();
    for (const socket of idle) {
      const handle = (socket as unknown as { _handle?: { readStop?: () => number } })._handle;
      if (!o.channel.connected || !handle?.readStop) {
        socket.destroy();
        continue;
      }
      // Nothing more is read here: the router reads the rest from the same descriptor.
      handle.readStop();
      try {
        o.channel.send({ type: "modelship:back" } satisfies ToRouter, socket as never, {}, (err) => {
          if (err) socket.destroy();
        });
      } catch {
        socket.destroy();
      }
    }
  }

  async function drain(timeoutMs: number): Promise<void> {
    release();
    const end = Date.now() + timeoutMs;
    while (inflight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  return { release, drain, connections: () => open };
}
