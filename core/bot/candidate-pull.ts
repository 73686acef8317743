import type { Comparison } from "../compare/compare-runs.ts";
import { parseCorrelationId, type Correlation } from "./correlation-id.ts";

/** Branches of the pull requests that record a scheduled run's candidate. */
export const CANDIDATE_BRANCH_PREFIX = "modelship/candidate/";

/** The branch for a scheduled run's candidate. */
export function candidateBranch(correlationId: string): string {
  return `${CANDIDATE_BRANCH_PREFIX}${correlationId}`;
}

/** The scheduled run a candidate branch names; undefined for any other branch. */
export function correlationFromCandidateBranch(ref: string): Correlation | undefined {
  if (!ref.startsWith(CANDIDATE_BRANCH_PREFIX)) return undefined;
  const c = parseCorrelationId(ref.slice(CANDIDATE_BRANCH_PREFIX.length));
  return c && c.pr === null ? c : undefined;
}

/** A scheduled run beats production when every gate holds against a baseline and the primary metric improved. */
export function beatsBaseline(c: Comparison): boolean {
  return c.passed && c.baseline !== null && c.primary?.improved === true;
}

/** The file a candidate pull request adds: which run, on which data, with which metrics. */
export function renderCandidateRecord(input: {
  correlationId: string;
  workflowRunId: number;
  workflowRunUrl: string;
  runId: string;
  headSha: string;
  dataFingerprint: string;
  baseline: string | null;
  metrics: Record<string, number>;
}): { path: string; content: string } {
  return {
    path: `.modelship/candidates/${input.correlationId}.json`,
    content: `${JSON.stringify({ format: "modelship.candidate/1", ...input }, null, 2)}\n`,
  };
}
