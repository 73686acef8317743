import { buildSmokeRequest } from "../../core/rollout/build-smoke-request.ts";
import type { InferRequest } from "../../core/rollout/build-smoke-request.ts";
import type { AnalysisSample } from "../../core/rollout/rollout-types.ts";
import { errorCode, sleep } from "./probe-ready.ts";

/** Reads a model's V2 metadata and turns it into a valid one-row infer request. */
export async function fetchSmokeRequest(opts: {
  url: string;
  name: string;
  timeoutMs: number;
}): Promise<{ ok: true; request: InferRequest } | { ok: false; message: string }> {
  let body: unknown;
  try {
    const res = await fetch(`${opts.url}/v2/models/${encodeURIComponent(opts.name)}`, {
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const text = await res.text();
    if (res.status !== 200) {
      return {
        ok: false,
        message: `GET /v2/models/${opts.name} answered ${res.status}: ${text.slice(0, 200)}`,
      };
    }
    body = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `GET /v2/models/${opts.name} failed: ${errorCode(err)}` };
  }
  return buildSmokeRequest(body);
}

/**
 * Sends `count` infer requests one after another, spread evenly over `spreadMs` (0: back to back),
 * and records each status and latency.
 */
export async function runSmokeRequests(opts: {
  url: string;
  name: string;
  request: InferRequest;
  count: number;
  spreadMs: number;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<AnalysisSample[]> {
  const samples: AnalysisSample[] = [];
  const body = JSON.stringify(opts.request);
  const gap = opts.count > 0 ? opts.spreadMs / opts.count : 0;
  const started = Date.now();
  for (let i = 0; i < opts.count; i++) {
    if (opts.signal?.aborted) break;
    const t0 = performance.now();
    try {
      const res = await fetch(`${opts.url}/v2/models/${encodeURIComponent(opts.name)}/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const text = await res.text();
      const sample: AnalysisSample = { status: res.status, latencyMs: performance.now() - t0 };
      if (res.status >= 300) sample.error = `HTTP ${res.status}: ${text.slice(0, 200)}`;
      samples.push(sample);
    } catch (err) {
      samples.push({ status: null, latencyMs: performance.now() - t0, error: errorCode(err) });
    }
    if (gap > 0) {
      const due = started + gap * (i + 1);
      await sleep(Math.max(0, due - Date.now()), opts.signal);
    }
  }
  return samples;
}
