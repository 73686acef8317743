import { buildReferenceRequests, buildSmokeRequest } from "../../core/rollout/build-smoke-request.ts";
import type { InferRequest, ReferenceRows } from "../../core/rollout/build-smoke-request.ts";
import type { AnalysisSample } from "../../core/rollout/rollout-types.ts";
import { errorCode, sleep } from "./probe-ready.ts";

/**
 * Reads a model's V2 metadata and turns it into valid infer requests: one per reference row when
 * the rows fit the model (`fromReference`), else a single zero-filled one-row request.
 */
export async function fetchSmokeRequests(opts: {
  url: string;
  name: string;
  timeoutMs: number;
  reference?: ReferenceRows | undefined;
}): Promise<{ ok: true; requests: InferRequest[]; fromReference: boolean } | { ok: false; message: string }> {
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
  if (opts.reference !== undefined) {
    const fromRows = buildReferenceRequests(body, opts.reference);
    if (fromRows.ok) return { ok: true, requests: fromRows.requests, fromReference: true };
  }
  const built = buildSmokeRequest(body);
  return built.ok ? { ok: true, requests: [built.request], fromReference: false } : built;
}

/** Samples of every request sent, and the parsed 200 answer to each of `requests` (by index). */
export type SmokeResult = { samples: AnalysisSample[]; answers: unknown[] };

/**
 * Sends `count` infer requests one after another, cycling through `requests`, spread evenly over
 * `spreadMs` (0: back to back), and records each status, latency and error code. An answer that
 * is not JSON, or a 200 whose body is not a V2 answer, is a failure.
 */
export async function runSmokeRequests(opts: {
  url: string;
  name: string;
  requests: readonly InferRequest[];
  count: number;
  spreadMs: number;
  timeoutMs: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}): Promise<SmokeResult> {
  const samples: AnalysisSample[] = [];
  const answers: unknown[] = [];
  const bodies = opts.requests.map((r) => JSON.stringify(r));
  const gap = opts.count > 0 ? opts.spreadMs / opts.count : 0;
  const started = Date.now();
  for (let i = 0; i < opts.count && bodies.length > 0; i++) {
    if (opts.signal?.aborted) break;
    const t0 = performance.now();
    try {
      const res = await fetch(`${opts.url}/v2/models/${encodeURIComponent(opts.name)}/infer`, {
        method: "POST",
        headers: { "content-type": "application/json", ...opts.headers },
        body: bodies[i % bodies.length]!,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const text = await res.text();
      const sample: AnalysisSample = {
        status: res.status,
        latencyMs: performance.now() - t0,
        origin: "smoke",
      };
      const json = parseJson(text);
      if (res.status >= 300) {
        sample.error = `HTTP ${res.status}: ${text.slice(0, 200)}`;
        const code = (json as { code?: unknown } | undefined)?.code;
        if (typeof code === "string") sample.code = code;
      } else if (!Array.isArray((json as { outputs?: unknown } | undefined)?.outputs)) {
        sample.status = 502;
        sample.error = `HTTP ${res.status} without a V2 answer: ${text.slice(0, 200)}`;
      } else if (i < bodies.length) answers[i] = json;
      samples.push(sample);
    } catch (err) {
      samples.push({
        status: null,
        latencyMs: performance.now() - t0,
        error: errorCode(err),
        origin: "smoke",
      });
    }
    if (gap > 0) {
      const due = started + gap * (i + 1);
      await sleep(Math.max(0, due - Date.now()), opts.signal);
    }
  }
  return { samples, answers };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
