import { buildSmokeRequest } from "../../core/rollout/build-smoke-request.ts";
import { judgeAnalysis } from "../../core/rollout/judge-analysis.ts";
import type {
  AnalysisSample,
  AnalysisThresholds,
  AnalysisVerdict,
} from "../../core/rollout/rollout-types.ts";

export type ProbeOptions = {
  /** The server's base URL, e.g. http://iris-canary.ml.svc.cluster.local:8080. */
  url: string;
  model: string;
  /** When set, an answer from any other version (`model_version`) counts as a failure. */
  version?: string;
  requests: number;
  thresholds: AnalysisThresholds;
  timeoutMs: number;
  fetch?: typeof fetch;
};

/**
 * Real V2 inferences against a server, judged like the deploy's smoke analysis: reads the model's
 * metadata, builds a valid one-row request from it, sends `requests` of them one after another and
 * checks status, latency and (with `version`) which version answered. The Argo Rollouts analysis
 * Job and the Helm chart test run it as `modelship probe`.
 */
export async function probeInference(opts: ProbeOptions): Promise<AnalysisVerdict> {
  const f = opts.fetch ?? fetch;
  const base = opts.url.replace(/\/+$/, "");
  const model = encodeURIComponent(opts.model);
  const call = async (path: string, init: RequestInit) => {
    const t0 = performance.now();
    try {
      const res = await f(`${base}${path}`, { ...init, signal: AbortSignal.timeout(opts.timeoutMs) });
      return { status: res.status, text: await res.text(), ms: performance.now() - t0 };
    } catch (err) {
      return { status: null, text: "", ms: performance.now() - t0, error: (err as Error).message };
    }
  };
  const meta = await call(`/v2/models/${model}`, { method: "GET" });
  if (meta.status !== 200) {
    const why =
      meta.status === null ? (meta.error ?? "no response") : `HTTP ${meta.status} ${meta.text.slice(0, 200)}`;
    return judgeAnalysis(
      [{ status: null, latencyMs: 0, error: `GET /v2/models/${opts.model} failed: ${why}` }],
      opts.thresholds,
    );
  }
  const built = buildSmokeRequest(parseJson(meta.text), "modelship-probe");
  if (!built.ok)
    return judgeAnalysis([{ status: null, latencyMs: 0, error: built.message }], opts.thresholds);
  const body = JSON.stringify(built.request);
  const samples: AnalysisSample[] = [];
  for (let i = 0; i < Math.max(1, opts.requests); i++) {
    const r = await call(`/v2/models/${model}/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    samples.push(sample(r, opts.version));
  }
  return judgeAnalysis(samples, opts.thresholds);
}

function sample(
  r: { status: number | null; text: string; ms: number; error?: string },
  version: string | undefined,
): AnalysisSample {
  if (r.status === null) return { status: null, latencyMs: r.ms, error: r.error ?? "no response" };
  if (r.status < 200 || r.status >= 300)
    return { status: r.status, latencyMs: r.ms, error: `HTTP ${r.status} ${r.text.slice(0, 200)}` };
  const answer = parseJson(r.text) as { model_version?: unknown; outputs?: unknown } | undefined;
  if (!Array.isArray(answer?.outputs) || answer.outputs.length === 0)
    return { status: null, latencyMs: r.ms, error: "the answer holds no outputs" };
  if (version !== undefined && answer.model_version !== version)
    return {
      status: null,
      latencyMs: r.ms,
      error: `answered by version ${String(answer.model_version)}, expected ${version}`,
    };
  return { status: r.status, latencyMs: r.ms };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
