import { compareAnswers } from "../../core/rollout/compare-answers.ts";
import type { AnalysisAgreement, AnalysisSample, RolloutTarget } from "../../core/rollout/rollout-types.ts";
import { ROUTING_HEADERS } from "../../core/monitoring/prediction-record.ts";
import type { Variant } from "../../core/monitoring/prediction-record.ts";
import { readReferenceRows } from "./read-reference-rows.ts";
import { fetchSmokeRequests, runSmokeRequests } from "./run-smoke-requests.ts";

type SlotAddress = { url: string; target: RolloutTarget };

/**
 * Smoke requests straight to the new slot, built from its reference rows when it has them; then,
 * when a version is live and `compare` is set, the same rows to the live slot, and how far the two
 * versions' answers agree.
 */
export async function preSwitchSmoke(opts: {
  candidate: SlotAddress;
  live: SlotAddress | null;
  count: number;
  timeoutMs: number;
  tolerance: number;
  compare: boolean;
  signal: AbortSignal;
}): Promise<{ samples: AnalysisSample[]; agreement?: AnalysisAgreement }> {
  const { candidate, live, timeoutMs, signal } = opts;
  if (opts.count === 0) return { samples: [] };
  const name = candidate.target.name;
  const reference = await readReferenceRows(candidate.target.modelDir);
  const built = await fetchSmokeRequests({ url: candidate.url, name, timeoutMs, reference });
  if (!built.ok) return { samples: [{ status: null, latencyMs: 0, error: built.message }] };
  const requests = built.requests;
  const mine = await runSmokeRequests({
    url: candidate.url,
    name,
    requests,
    count: opts.count,
    spreadMs: 0,
    timeoutMs,
    signal,
    headers: smokeHeaders("candidate", candidate.target.version),
  });
  if (!opts.compare || !built.fromReference || live === null || signal.aborted)
    return { samples: mine.samples };
  const theirs = await runSmokeRequests({
    url: live.url,
    name: live.target.name,
    requests,
    count: Math.min(requests.length, opts.count),
    spreadMs: 0,
    timeoutMs,
    signal,
    headers: smokeHeaders("stable", live.target.version),
  });
  return { samples: mine.samples, agreement: compareAnswers(theirs.answers, mine.answers, opts.tolerance) };
}

/** Sent straight to a slot, smoke requests label themselves as the router would. */
function smokeHeaders(variant: Variant, version: string): Record<string, string> {
  return {
    [ROUTING_HEADERS.variant]: variant,
    [ROUTING_HEADERS.version]: version,
    [ROUTING_HEADERS.traffic]: "smoke",
  };
}
