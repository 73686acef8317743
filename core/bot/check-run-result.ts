import type { Comparison } from "../compare/compare-runs.ts";
import { truncateText } from "../report/escape-markdown.ts";

/** GitHub's limit on a check run's output summary and text, and on annotations per request. */
export const CHECK_OUTPUT_LIMIT = 65_535;
export const CHECK_ANNOTATIONS_PER_REQUEST = 50;

export type CheckConclusion = "success" | "failure" | "cancelled" | "timed_out" | "neutral";

export type CheckAnnotation = {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "failure" | "warning" | "notice";
  title: string;
  message: string;
};

export type CheckRunResult = {
  conclusion: CheckConclusion;
  title: string;
  summary: string;
  annotations: CheckAnnotation[];
};

/**
 * The check run for a compared training run: success only when every gate holds; each failed
 * gate becomes an annotation on the config file (at `gateLine(name)` when known), the report is the summary.
 */
export function checkRunFromComparison(input: {
  comparison: Comparison;
  report: string;
  configFile: string;
  gateLine?: (metric: string) => number | undefined;
}): CheckRunResult {
  const c = input.comparison;
  const failed = c.failed.slice(0, CHECK_ANNOTATIONS_PER_REQUEST);
  const annotations: CheckAnnotation[] = failed.map((f) => {
    const line = input.gateLine?.(f.name) ?? 1;
    return {
      path: input.configFile,
      start_line: line,
      end_line: line,
      annotation_level: "failure",
      title: truncateText(`Gate failed: ${f.name}`, 255),
      message: truncateText(`${f.message} [${f.reason}]`, 4000),
    };
  });
  const title = c.passed
    ? c.baseline
      ? `Every gate holds against ${truncateText(c.baseline.label, 60)}`
      : "Every gate holds (no baseline yet)"
    : `${c.failed.length} gate${c.failed.length === 1 ? "" : "s"} failed`;
  return {
    conclusion: c.passed ? "success" : "failure",
    title,
    summary: truncateText(input.report, CHECK_OUTPUT_LIMIT),
    annotations,
  };
}

/** Why a training run produced no comparison. Closed set, shown on the PR and the check. */
export type TrainFailureReason =
  | "run-failed"
  | "run-cancelled"
  | "run-timed-out"
  | "artifact-missing"
  | "artifact-expired"
  | "artifact-too-large"
  | "artifact-unsafe"
  | "artifact-invalid"
  | "run-dir-invalid"
  | "model-name-mismatch"
  | "config-invalid"
  | "data-invalid";

/** Maps a completed workflow run's conclusion (anything but success) to a check conclusion and reason. */
export function failedRunOutcome(conclusion: string | null): {
  conclusion: CheckConclusion;
  reason: TrainFailureReason;
} {
  if (conclusion === "cancelled") return { conclusion: "cancelled", reason: "run-cancelled" };
  if (conclusion === "timed_out") return { conclusion: "timed_out", reason: "run-timed-out" };
  return { conclusion: "failure", reason: "run-failed" };
}

const FAILURE_TEXT: Record<TrainFailureReason, string> = {
  "run-failed": "The training run failed.",
  "run-cancelled": "The training run was cancelled.",
  "run-timed-out": "The training run timed out.",
  "artifact-missing": "The training run finished but uploaded no run artifact.",
  "artifact-expired": "The training run's artifact has expired.",
  "artifact-too-large": "The training run's artifact is larger than the App accepts.",
  "artifact-unsafe":
    "The training run's artifact holds unsafe entries (links, absolute or `..` paths) and was refused.",
  "artifact-invalid": "The training run's artifact could not be verified or read.",
  "run-dir-invalid": "The training run's artifact is not a valid run directory.",
  "model-name-mismatch": "The training run produced a different model than the config names.",
  "config-invalid": "The repository config is invalid.",
  "data-invalid": "The data failed its expectations, so nothing was trained.",
};

/** One sentence per failure reason. */
export function describeTrainFailure(reason: TrainFailureReason): string {
  return FAILURE_TEXT[reason];
}
