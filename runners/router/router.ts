import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo, Server as NetServer } from "node:net";
import type { ShadowStats, VariantStats } from "../../core/rollout/traffic-status.ts";
import { answerClientError } from "../serve/serve-error.ts";
import { acceptConnection } from "./handoff-steering.ts";
import { handleRequest } from "./handle-request.ts";
import {
  createRouterContext,
  routerLimits,
  variantOf,
  type RouterContext,
  type RouterLimits,
} from "./router-context.ts";
import { samplesSince, slotStats, variantStats, waitIdle } from "./router-stats.ts";
import { ROUTER_DEFAULTS, STICKY_HEADER } from "./router-types.ts";
import type {
  Router,
  RoutedSample,
  RouterOptions,
  SlotStats,
  SlotUpstream,
  TrafficSplit,
} from "./router-types.ts";
import { setPhase, setSlot, setTraffic, switchTo } from "./traffic-control.ts";

export type { ShadowStats, VariantStats };
export type { Router, RoutedSample, RouterOptions, SlotStats, SlotUpstream, TrafficSplit };
export { ROUTER_DEFAULTS, STICKY_HEADER };
export { SMOKE_HEADER, SMOKE_SLOT_HEADER } from "./forward-headers.ts";

/**
 * Starts the public reverse proxy that sends every request to the live colour. The request path
 * lives in `handle-request.ts` (routing: `pick-upstream.ts`; proxying: `proxy-request.ts`,
 * `forward-request.ts`; shadow copies: `shadow-copy.ts`), connection hand-off in
 * `handoff-steering.ts`, the controls in `traffic-control.ts` and `router-stats.ts`.
 */
export async function startRouter(opts: RouterOptions): Promise<Router> {
  const limits = routerLimits(opts);
  const server = createHttpServer(limits, (req, res) => handleRequest(ctx, req, res));
  const ctx = createRouterContext(opts, limits, server);
  let open = 0;
  server.on("connection", (socket) => {
    open++;
    socket.once("close", () => open--);
  });
  // The public port accepts without reading, so a connection can still be handed to a slot.
  // No Nagle delay on client sockets, as node:http's own listener sets (handed ones keep it).
  const listener = createNetServer({ pauseOnConnect: true, noDelay: true }, (socket) =>
    acceptConnection(ctx, socket),
  );
  listener.maxConnections = limits.maxConnections;
  // The HTTP server never listens itself: this starts its header and request timeout checks.
  server.emit("listening");
  await listen(server, listener, opts);
  const port = (listener.address() as AddressInfo).port;
  const host = opts.host ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    setSlot: (colour, upstream) => setSlot(ctx, colour, upstream),
    switchTo: (colour) => switchTo(ctx, colour),
    setTraffic: (s) => setTraffic(ctx, s),
    split: () =>
      ctx.split ? { colour: ctx.split.colour, weight: ctx.split.weight, mode: ctx.split.mode } : null,
    variantOf(colour) {
      const s = ctx.slots[colour];
      return s ? variantOf(ctx, s) : "stable";
    },
    variantStats: (colour) => variantStats(ctx, colour),
    setPhase: (next) => setPhase(ctx, next),
    countRollout: (outcome) => ctx.metrics.rollouts.labels(outcome).inc(),
    active: () =>
      ctx.live ? { colour: ctx.live.colour, version: ctx.live.version, url: ctx.live.url } : null,
    stats: (colour) => slotStats(ctx, colour),
    samples: (colour, sinceMs) => samplesSince(ctx, colour, sinceMs),
    waitIdle: (colour, timeoutMs) => waitIdle(ctx, colour, timeoutMs),
    connections: () => open,
    close: () => close(ctx, listener),
  };
}

/** The HTTP server for proxied connections, bounding how long a client may take to send its request. */
function createHttpServer(
  limits: RouterLimits,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  const server = createServer(
    {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      // Node checks both timeouts on this interval (30 s by default, far too coarse for them).
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1_000, limits.headersTimeoutMs / 4, limits.requestTimeoutMs / 4),
      ),
    },
    handle,
  );
  server.keepAliveTimeout = 5_000;
  server.on("clientError", answerClientError);
  return server;
}

function listen(server: Server, listener: NetServer, opts: RouterOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    listener.once("error", reject);
    listener.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      listener.off("error", reject);
      server.off("error", reject);
      resolve();
    });
  });
}

async function close(ctx: RouterContext, listener: NetServer): Promise<void> {
  ctx.live = null;
  await new Promise<void>((resolve) => {
    listener.close(() => resolve());
    ctx.server.close();
    ctx.server.closeAllConnections();
  });
  for (const c of ["blue", "green"] as const) ctx.slots[c]?.agent.destroy();
  ctx.shadowAgent.destroy();
}
