import { percentile } from "../../core/rollout/judge-analysis.ts";
import type { Colour } from "../../core/rollout/rollout-types.ts";
import type { VariantStats } from "../../core/rollout/traffic-status.ts";
import type { RouterContext } from "./router-context.ts";
import type { RoutedSample, SlotStats } from "./router-types.ts";
import { slotKey } from "./upstream.ts";

/** Traffic, latency, errors, feedback and shadow comparison of one colour since its split started. */
export function variantStats(ctx: RouterContext, colour: Colour): VariantStats | null {
  const s = ctx.slots[colour];
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
    feedback: ctx.feedback.feedback(slotKey(s)),
    shadow: s.shadow.copies > 0 || s.shadow.skipped > 0 ? { ...s.shadow } : null,
  };
}

/** A colour's counters since it was registered. */
export function slotStats(ctx: RouterContext, colour: Colour): SlotStats | null {
  const s = ctx.slots[colour];
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
}

/** Samples of requests a colour answered at or after `sinceMs` (epoch ms). */
export function samplesSince(ctx: RouterContext, colour: Colour, sinceMs: number): RoutedSample[] {
  return (ctx.slots[colour]?.samples.slice(-ctx.sampleLimit) ?? []).filter((s) => s.at >= sinceMs);
}

/** Resolves true once a colour has nothing in flight, false after `timeoutMs`. */
export function waitIdle(ctx: RouterContext, colour: Colour, timeoutMs: number): Promise<boolean> {
  const s = ctx.slots[colour];
  if (!s || s.inflight === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    s.idleWaiters.push(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
