import type { TrafficKind, Variant } from "../../core/monitoring/prediction-record.ts";
import { variantOf, type RouterContext } from "./router-context.ts";
import type { RoutedSample } from "./router-types.ts";
import { countWindow, trimSamples, type Upstream } from "./upstream.ts";

/** Records how a request to one slot ended: its status (null: no answer), error and reason code. */
export type Finish = (status: number | null, error?: string, code?: string) => void;

/** Counts one request against a slot; the returned `finish` records how it ended (once). */
export function track(ctx: RouterContext, up: Upstream, traffic: TrafficKind): Finish {
  up.inflight++;
  up.requests++;
  const started = performance.now();
  const origin: NonNullable<RoutedSample["origin"]> = traffic === "smoke" ? "smoke" : "traffic";
  const variant = variantOf(ctx, up);
  const window = up.window;
  let finished = false;
  return (status, error, code) => {
    if (finished) return;
    finished = true;
    up.inflight--;
    if (status === null || status >= 500) up.errors++;
    if (origin === "traffic") {
      const seconds = (performance.now() - started) / 1000;
      requestCounter(ctx, up, variant, status).inc();
      ctx.durationOf[variant].observe(seconds);
      countWindow(window, status);
    }
    const sample: RoutedSample = { status, latencyMs: performance.now() - started, at: Date.now(), origin };
    if (error !== undefined) sample.error = error;
    if (code !== undefined) sample.code = code;
    up.samples.push(sample);
    trimSamples(up, ctx.sampleLimit, ctx.trimStep);
    if (up.inflight === 0) for (const wake of up.idleWaiters.splice(0)) wake();
  };
}

/**
 * Counts requests a slot answered on handed connections as if the router had proxied them:
 * `done` holds a status (0: no answer) and a latency in ms per request.
 */
export function countServed(ctx: RouterContext, up: Upstream, done: number[]): void {
  const at = Date.now();
  const variant = variantOf(ctx, up);
  const duration = ctx.durationOf[variant];
  const n = done.length >> 1;
  // Only the newest `sampleLimit` of a batch can survive the trim below: older ones are not kept.
  const firstSample = Math.max(0, n - ctx.sampleLimit);
  // Counters move once per run of equal codes (a batch is mostly one code), not once per request.
  let runCode = -1;
  let run = 0;
  for (let i = 0; i < n; i++) {
    const code = done[2 * i] ?? 0;
    const status = code === 0 ? null : code;
    const latencyMs = done[2 * i + 1] ?? 0;
    if (code !== runCode) {
      if (run > 0) requestCounter(ctx, up, variant, runCode === 0 ? null : runCode).inc(run);
      runCode = code;
      run = 0;
    }
    run++;
    if (status === null || status >= 500) up.errors++;
    duration.observe(latencyMs / 1000);
    countWindow(up.window, status);
    if (i >= firstSample) up.samples.push({ status, latencyMs, at, origin: "traffic" });
  }
  if (run > 0) requestCounter(ctx, up, variant, runCode === 0 ? null : runCode).inc(run);
  up.requests += n;
  trimSamples(up, ctx.sampleLimit, ctx.trimStep);
}

/** The `modelship_router_requests_total` child of one slot, variant and status, made on first use. */
function requestCounter(
  ctx: RouterContext,
  up: Upstream,
  variant: Variant,
  status: number | null,
): { inc(n?: number): void } {
  const code = status ?? 0;
  let child = up.counters[variant].get(code);
  if (!child) {
    child = ctx.metrics.requests.labels(variant, up.version, String(code));
    up.counters[variant].set(code, child);
  }
  return child;
}
