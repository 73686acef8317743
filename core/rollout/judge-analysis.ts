import type {
  AnalysisAgreement,
  AnalysisObserved,
  AnalysisReason,
  AnalysisSample,
  AnalysisThresholds,
  AnalysisVerdict,
} from "./rollout-types.ts";

/**
 * Passes or fails a set of samples. A sample fails when no response came back, the answer was a
 * 5xx (server errors, timeouts, invalid model outputs), or a request Modelship built itself got a
 * 4xx. A 4xx to real traffic is the client's fault: it is counted apart and left out of the rate.
 * Latency percentiles use the nearest-rank method over successful samples only, so a fast
 * connection refusal never makes a slot look quick. `agreement`, when given, must reach
 * `thresholds.minAgreement`. No samples at all (analysis switched off) passes.
 */
export function judgeAnalysis(
  samples: readonly AnalysisSample[],
  thresholds: AnalysisThresholds,
  agreement?: AnalysisAgreement,
): AnalysisVerdict {
  const observed = observe(samples);
  if (agreement !== undefined) observed.agreement = agreement;
  const fail = (reason: AnalysisReason, message: string) =>
    ({ pass: false, reason, message, observed, thresholds }) as const;
  const judged = observed.requests - observed.clientErrors;
  const ok = judged - observed.errors;
  const first = observed.firstError ? ` (first: ${observed.firstError})` : "";
  if (observed.invalidOutputs > 0 && observed.errorRate > thresholds.maxErrorRate) {
    return fail(
      "analysis-invalid-output",
      `${observed.invalidOutputs} of ${judged} answers were invalid model outputs${first}`,
    );
  }
  if (judged > 0 && ok === 0) return fail("smoke-failed", `all ${judged} smoke requests failed${first}`);
  if (observed.errorRate > thresholds.maxErrorRate) {
    return fail(
      "analysis-error-rate",
      `error rate ${pct(observed.errorRate)} (${observed.errors}/${judged}) is above the limit ${pct(thresholds.maxErrorRate)}${first}`,
    );
  }
  if (observed.p95Ms !== null && observed.p95Ms > thresholds.maxLatencyP95Ms) {
    return fail(
      "analysis-latency",
      `latency p95 ${ms(observed.p95Ms)} is above the limit ${ms(thresholds.maxLatencyP95Ms)}`,
    );
  }
  const p99Limit = thresholds.maxLatencyP99Ms;
  if (p99Limit !== undefined && observed.p99Ms !== null && observed.p99Ms > p99Limit) {
    return fail("analysis-latency", `latency p99 ${ms(observed.p99Ms)} is above the limit ${ms(p99Limit)}`);
  }
  const floor = thresholds.minAgreement ?? 0;
  if (agreement !== undefined && agreement.rows > 0 && agreement.rate < floor) {
    return fail(
      "analysis-disagreement",
      `the new version agrees with the live one on ${pct(agreement.rate)} of ${agreement.rows} reference rows (${agreement.kind}), below the floor ${pct(floor)}`,
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

/** Whether a sample's answer counts against the version. */
function isFailure(s: AnalysisSample): boolean {
  if (s.status === null || s.status >= 500) return true;
  return s.status >= 300 && s.origin !== "traffic";
}

function observe(samples: readonly AnalysisSample[]): AnalysisObserved {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let errors = 0;
  let clientErrors = 0;
  let invalidOutputs = 0;
  let firstError: string | undefined;
  for (const s of samples) {
    const key = s.status === null ? "network-error" : String(s.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (s.status !== null && s.status >= 200 && s.status < 300) latencies.push(s.latencyMs);
    else if (isFailure(s)) {
      errors++;
      if (s.code?.startsWith("output-")) invalidOutputs++;
      firstError ??= s.error ?? (s.status === null ? "no response" : `HTTP ${s.status}`);
    } else clientErrors++;
  }
  latencies.sort((a, b) => a - b);
  const judged = samples.length - clientErrors;
  const observed: AnalysisObserved = {
    requests: samples.length,
    errors,
    errorRate: judged === 0 ? 0 : errors / judged,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies.length === 0 ? null : (latencies[latencies.length - 1] ?? null),
    statuses,
    clientErrors,
    invalidOutputs,
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
