import type {
  AnalysisObserved,
  AnalysisSample,
  AnalysisThresholds,
  AnalysisVerdict,
} from "./rollout-types.ts";

/**
 * Passes or fails a set of smoke samples. A sample is an error unless it got a 2xx response.
 * Latency percentiles use the nearest-rank method over successful samples only, so a fast
 * connection refusal never makes a slot look quick. No samples at all (analysis switched off)
 * passes.
 */
export function judgeAnalysis(
  samples: readonly AnalysisSample[],
  thresholds: AnalysisThresholds,
): AnalysisVerdict {
  const observed = observe(samples);
  const fail = (reason: "smoke-failed" | "analysis-error-rate" | "analysis-latency", message: string) =>
    ({ pass: false, reason, message, observed, thresholds }) as const;
  if (observed.requests === 0) return { pass: true, observed, thresholds };
  const ok = observed.requests - observed.errors;
  const first = observed.firstError ? ` (first: ${observed.firstError})` : "";
  if (ok === 0) return fail("smoke-failed", `all ${observed.requests} smoke requests failed${first}`);
  if (observed.errorRate > thresholds.maxErrorRate) {
    return fail(
      "analysis-error-rate",
      `error rate ${pct(observed.errorRate)} (${observed.errors}/${observed.requests}) is above the limit ${pct(thresholds.maxErrorRate)}${first}`,
    );
  }
  if (observed.p95Ms !== null && observed.p95Ms > thresholds.maxLatencyP95Ms) {
    return fail(
      "analysis-latency",
      `latency p95 ${ms(observed.p95Ms)} is above the limit ${ms(thresholds.maxLatencyP95Ms)}`,
    );
  }
  return { pass: true, observed, thresholds };
}

/** Nearest-rank percentile of an ascending list; null when empty. */
export function percentile(sortedAsc: readonly number[], p: number): number | null {
  if (sortedAsc.length === 0) return null;
  const rank = Math.min(sortedAsc.length, Math.max(1, Math.ceil(p * sortedAsc.length)));
  return sortedAsc[rank - 1] ?? null;
}

function observe(samples: readonly AnalysisSample[]): AnalysisObserved {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (const s of samples) {
    const key = s.status === null ? "network-error" : String(s.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (s.status !== null && s.status >= 200 && s.status < 300) {
      latencies.push(s.latencyMs);
    } else {
      errors++;
      firstError ??= s.error ?? (s.status === null ? "no response" : `HTTP ${s.status}`);
    }
  }
  latencies.sort((a, b) => a - b);
  const observed: AnalysisObserved = {
    requests: samples.length,
    errors,
    errorRate: samples.length === 0 ? 0 : errors / samples.length,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    maxMs: latencies.length === 0 ? null : (latencies[latencies.length - 1] ?? null),
    statuses,
  };
  if (firstError !== undefined) observed.firstError = firstError;
  return observed;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function ms(x: number): string {
  return `${Math.round(x * 10) / 10} ms`;
}
