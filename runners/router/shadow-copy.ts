import { request as httpRequest } from "node:http";
import type { IncomingMessage } from "node:http";
import { compareAnswers } from "../../core/rollout/compare-answers.ts";
import { endToEndHeaders, routingHeaders, SHADOW_DROPS } from "./forward-headers.ts";
import { capture, parseJson } from "./read-body.ts";
import type { RouterContext } from "./router-context.ts";
import { remember } from "./router-feedback.ts";
import type { RoutedSample } from "./router-types.ts";
import { countWindow, trimSamples, type Upstream } from "./upstream.ts";

/** A stable answer and its shadow's: undefined until it arrives, null when it was no 200 answer. */
export type ShadowPair = { stable: unknown; shadow: unknown; to?: Upstream };

/**
 * Sends a copy of a client's whole request to the shadow; its answer never reaches the client.
 * Beyond `shadowLimit` copies in flight, a copy is skipped (counted), never queued.
 */
export function sendShadow(
  ctx: RouterContext,
  to: Upstream,
  req: IncomingMessage,
  body: Buffer,
  pair: ShadowPair,
): void {
  if (ctx.shadowInflight >= ctx.limits.shadowLimit) {
    to.shadow.skipped++;
    return;
  }
  ctx.shadowInflight++;
  to.shadow.copies++;
  const started = performance.now();
  let done = false;
  const end = (status: number | null, answer: unknown, error?: string) => {
    if (done) return;
    done = true;
    countShadow(
      ctx,
      to,
      pair,
      { status, latencyMs: performance.now() - started, at: Date.now(), origin: "traffic" },
      answer,
      error,
    );
  };
  const headers = endToEndHeaders(req.rawHeaders, req.headers["connection"], SHADOW_DROPS);
  headers.push("host", to.host, "content-length", String(body.length));
  headers.push(...routingHeaders("candidate", to.version, "shadow"));
  const upReq = httpRequest({
    hostname: to.hostname,
    port: to.port,
    method: req.method ?? "POST",
    path: req.url ?? "/",
    headers,
    agent: ctx.shadowAgent,
  });
  upReq.setTimeout(ctx.limits.upstreamTimeoutMs, () =>
    upReq.destroy(new Error("shadow did not answer in time")),
  );
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

/** Counts how one shadow copy ended, and hands its answer to the comparison. */
function countShadow(
  ctx: RouterContext,
  to: Upstream,
  pair: ShadowPair,
  sample: RoutedSample,
  answer: unknown,
  error: string | undefined,
): void {
  const status = sample.status;
  ctx.shadowInflight--;
  ctx.metrics.shadow.labels(to.version, String(status ?? 0)).inc();
  countWindow(to.window, status);
  if (status === null || status >= 500) to.shadow.errors++;
  if (error !== undefined) sample.error = error;
  to.samples.push(sample);
  trimSamples(to, ctx.sampleLimit, ctx.trimStep);
  remember(ctx, to, answer);
  settle(ctx, pair, "shadow", status === 200 ? answer : undefined, to);
}

/** Records one side of a pair, and compares a stable answer with its shadow's once both arrived. */
export function settle(
  ctx: RouterContext,
  pair: ShadowPair,
  side: "stable" | "shadow",
  answer: unknown,
  to?: Upstream,
): void {
  pair[side] = answer ?? null;
  if (to) pair.to = to;
  if (pair.stable === undefined || pair.shadow === undefined || !pair.to) return;
  if (pair.stable === null || pair.shadow === null) return;
  const a = compareAnswers([pair.stable], [pair.shadow], ctx.limits.agreementTolerance);
  if (a.rows === 0) return;
  const t = pair.to.shadow;
  const sumDiff = (t.meanAbsDifference ?? 0) * (t.kind === "regression" ? t.compared : 0);
  t.compared++;
  t.agreed += a.agreed;
  t.kind = a.kind;
  t.agreementRate = t.agreed / t.compared;
  t.meanAbsDifference = a.kind === "regression" ? (sumDiff + (a.maxDifference ?? 0)) / t.compared : null;
}
