import { buildSmokeRequest } from "../../core/rollout/build-smoke-request.ts";
import type { AnalysisSample } from "../../core/rollout/rollout-types.ts";
import type { KubernetesApi } from "./kubernetes-api.ts";
import { sleep } from "./sleep.ts";

/**
 * Smoke inferences through a Service: reads the model's V2 metadata, builds a one-row request
 * from it, then sends `count` requests spread evenly over `spreadMs` (0: back to back).
 */
export async function runServiceSmoke(opts: {
  api: KubernetesApi;
  service: string;
  modelName: string;
  count: number;
  spreadMs: number;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<AnalysisSample[]> {
  if (opts.count === 0) return [];
  const model = encodeURIComponent(opts.modelName);
  const meta = await opts.api.serviceRequest(opts.service, `/v2/models/${model}`, {
    method: "GET",
    timeoutMs: opts.timeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (meta.status !== 200) {
    const why =
      meta.status === null ? (meta.error ?? "no response") : `HTTP ${meta.status} ${errorText(meta.body)}`;
    return [{ status: null, latencyMs: 0, error: `GET /v2/models/${opts.modelName} failed: ${why}` }];
  }
  let metadata: unknown;
  try {
    metadata = JSON.parse(meta.body);
  } catch {
    metadata = undefined;
  }
  const built = buildSmokeRequest(metadata);
  if (!built.ok) return [{ status: null, latencyMs: 0, error: built.message }];
  const body = JSON.stringify(built.request);
  const samples: AnalysisSample[] = [];
  const start = Date.now();
  for (let i = 0; i < opts.count; i++) {
    if (opts.signal?.aborted) break;
    if (opts.spreadMs > 0) await sleep(start + (i * opts.spreadMs) / opts.count - Date.now(), opts.signal);
    const t0 = performance.now();
    const r = await opts.api.serviceRequest(opts.service, `/v2/models/${model}/infer`, {
      method: "POST",
      body,
      timeoutMs: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const latencyMs = performance.now() - t0;
    const sample: AnalysisSample = { status: r.status, latencyMs };
    if (r.status === null) sample.error = r.error ?? "no response";
    else if (r.status < 200 || r.status >= 300) sample.error = `HTTP ${r.status} ${errorText(r.body)}`;
    samples.push(sample);
  }
  return samples;
}

/** The message of a V2 error body (`error`) or a Kubernetes Status (`message`), else the body's start. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === "string") return parsed.error.slice(0, 300);
    if (typeof parsed.message === "string") return parsed.message.slice(0, 300);
  } catch {
    // not JSON: show the text itself
  }
  return body.slice(0, 200);
}
