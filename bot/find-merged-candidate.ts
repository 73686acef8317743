import { candidateRecordPath, isRetrainBranch, parseCandidateRecord } from "../core/bot/candidate-pull.ts";
import { correlationFromRun, parseCorrelationId, type Correlation } from "../core/bot/correlation-id.ts";
import type { Config } from "../core/config/schema.ts";
import { TRAIN_CHECK_NAME } from "./dispatch-training.ts";
import type { BotGitHub, PullInfo, WorkflowRunInfo } from "./github-port.ts";

export type MergedCandidate =
  | {
      ok: true;
      correlation: Correlation;
      run: WorkflowRunInfo;
      /** Set for a candidate pull request: release exactly this artifact. */
      pin?: { artifactId: number; digest: string | null };
    }
  | {
      ok: false;
      reason: "no-passing-result" | "run-not-found" | "candidate-record-invalid";
      message: string | null;
    };

/**
 * Which training run a merged pull request releases: for the App's candidate pull request, the run
 * and artifact its record pins (checked against the run itself); otherwise the passing
 * `modelship/train` result on the merged head.
 */
export async function findMergedCandidate(
  gh: BotGitHub,
  config: Config,
  pull: PullInfo,
): Promise<MergedCandidate> {
  if (!pull.fromFork && pull.byBot && isRetrainBranch(pull.headRef)) return pinnedCandidate(gh, config, pull);
  const checks = await gh.listCheckRuns(pull.headSha, TRAIN_CHECK_NAME);
  const passing = checks.find(
    (c) => c.conclusion === "success" && c.externalId && parseCorrelationId(c.externalId),
  );
  if (!passing) {
    return {
      ok: false,
      reason: "no-passing-result",
      message:
        checks.length > 0
          ? `no passing \`${TRAIN_CHECK_NAME}\` result on the merged head ${pull.headSha.slice(0, 7)}.`
          : null,
    };
  }
  const correlation = parseCorrelationId(passing.externalId!)!;
  const run = await gh.findTrainingRun(config.github.trainWorkflow, correlation.id, correlation.headSha);
  if (run?.conclusion !== "success") return gone(correlation.id);
  return { ok: true, correlation, run };
}

async function pinnedCandidate(gh: BotGitHub, config: Config, pull: PullInfo): Promise<MergedCandidate> {
  const kind = pull.headRef.split("/").at(-1) as Parameters<typeof candidateRecordPath>[1];
  const path = candidateRecordPath(config.model.name, kind);
  const text = await gh.readFileAt(path, pull.headSha);
  const record = text === null ? undefined : parseCandidateRecord(text);
  if (!record || record.model !== config.model.name || record.correlation.kind !== kind) {
    return {
      ok: false,
      reason: "candidate-record-invalid",
      message: `the candidate pull request's \`${path}\` is missing or is not a ${config.model.name} ${kind} record.`,
    };
  }
  // The record is only a pointer: the run itself must be this model's successful training run of
  // that commit, on the default branch, under that correlation id.
  const run = await gh.getWorkflowRun(record.workflowRunId);
  const file = config.github.trainWorkflow;
  const derived =
    run &&
    correlationFromRun({
      displayTitle: run.displayTitle,
      event: run.event,
      headSha: run.headSha,
      runId: run.id,
    });
  if (
    !run ||
    run.conclusion !== "success" ||
    (run.path !== null && run.path !== file && !run.path.endsWith(`/${file}`)) ||
    derived?.id !== record.correlationId ||
    run.headSha !== record.headSha
  )
    return gone(record.correlationId);
  return {
    ok: true,
    correlation: record.correlation,
    run,
    pin: { artifactId: record.artifact.id, digest: record.artifact.digest },
  };
}

function gone(id: string): MergedCandidate {
  return { ok: false, reason: "run-not-found", message: `the training run for ${id} is gone.` };
}
