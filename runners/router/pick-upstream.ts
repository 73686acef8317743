import type { IncomingMessage } from "node:http";
import { routesToCandidate } from "../../core/rollout/sticky-bucket.ts";
import { SMOKE_HEADER, SMOKE_SLOT_HEADER } from "./forward-headers.ts";
import type { RouterContext } from "./router-context.ts";
import type { Upstream } from "./upstream.ts";

/** Inference requests have no side effect in a slot, so one whose connection broke may be sent again. */
const INFER_PATH = /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer(\?|$)/;

/** A request that carries the deployment's smoke token. */
export function isSmoke(ctx: RouterContext, req: IncomingMessage): boolean {
  return ctx.smokeToken !== undefined && req.headers[SMOKE_HEADER] === ctx.smokeToken;
}

/** The colour one client request goes to: the split's colour for its share (sticky by key), else the live one. */
export function pick(ctx: RouterContext, req: IncomingMessage): Upstream | null {
  const s = ctx.split;
  if (s?.mode === "split" && ctx.slots[s.colour] === s.to) {
    const key = req.headers[ctx.stickyHeader];
    if (routesToCandidate(s.weight, typeof key === "string" ? key : undefined, ctx.random)) return s.to;
  }
  return ctx.live;
}

/** A smoke request reaches the colour it names (when registered), else the live one. */
export function smokeTarget(ctx: RouterContext, req: IncomingMessage): Upstream | null {
  const named = req.headers[SMOKE_SLOT_HEADER];
  if (named === "blue" || named === "green") return ctx.slots[named] ?? ctx.live;
  return ctx.live;
}

/** Where a copy of a client request sent to `up` goes: the shadow, for its share of requests. */
export function shadowTarget(ctx: RouterContext, up: Upstream): Upstream | null {
  const s = ctx.split;
  return s?.mode === "shadow" && s.to !== up && ctx.random() * 100 < s.weight ? s.to : null;
}

/**
 * Where a request a slot dropped unanswered may go instead: the live colour when traffic has
 * moved off that slot since, else the colour live before the last switch while it is still
 * registered (warm). Only inference and read requests, never the deployment's own smoke
 * requests (they judge one slot).
 */
export function failoverFor(ctx: RouterContext, up: Upstream, req: IncomingMessage): Upstream | null {
  const live = ctx.live;
  const alt = live !== null && live !== up ? live : ctx.fallback;
  if (!alt || alt === up || ctx.slots[alt.colour] !== alt || isSmoke(ctx, req)) return null;
  const method = req.method ?? "GET";
  const safe = method === "GET" || method === "HEAD" || (method === "POST" && INFER_PATH.test(req.url ?? ""));
  return safe ? alt : null;
}
