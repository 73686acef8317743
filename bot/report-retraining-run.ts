import {
  beatsBaseline,
  candidateRecordPath,
  renderCandidatePull,
  renderCandidateRecord,
  renderRetrainFailureIssue,
  retrainBranch,
  retrainIssueMarker,
  type CandidateRecord,
} from "../core/bot/candidate-pull.ts";
import { describeTrainFailure } from "../core/bot/check-run-result.ts";
import { driftIssueMarkerPrefix } from "../core/bot/drift-run.ts";
import type { Correlation, RetrainKind } from "../core/bot/correlation-id.ts";
import type { Config } from "../core/config/schema.ts";
import { reportMarker } from "../core/report/render-markdown.ts";
import type { BotEnv } from "./bot-event.ts";
import type { WorkflowRunInfo } from "./github-port.ts";
import { assessTrainingRun, completeTrainCheck, type CandidateReport } from "./report-training-run.ts";

type RetrainInput = {
  env: BotEnv;
  config: Config;
  configText?: string;
  correlation: Correlation & { kind: RetrainKind };
  run: WorkflowRunInfo;
  /** Whether the run trained the default branch's commit it names (only then does it propose anything). */
  onDefaultBranch: boolean;
};

/**
 * Finishes a retraining run (cron, drift or manual, on the default branch): a candidate that beats
 * production opens or updates the ONE candidate pull request of its kind; a failure opens or
 * updates the ONE issue of its kind; the `modelship/train` check on the commit says the same.
 */
export async function reportRetrainingRun(input: RetrainInput): Promise<CandidateReport> {
  const report = await assessTrainingRun(input);
  if (input.onDefaultBranch) {
    if (report.ok) await proposeCandidate(input, report);
    else await reportFailure(input, report);
  }
  await completeTrainCheck(input, report);
  return report;
}

async function proposeCandidate(input: RetrainInput, report: Extract<CandidateReport, { ok: true }>) {
  const { env, config, correlation, run } = input;
  const name = config.model.name;
  const kind = correlation.kind;
  await env.gh.closeIssue(
    retrainIssueMarker(name, kind),
    `Workflow run ${run.id} trained ${name} again (${report.comparison.reason}); closing.`,
  );
  if (!beatsBaseline(report.comparison)) return;
  const record: Omit<CandidateRecord, "format"> = {
    model: name,
    correlationId: correlation.id,
    workflowRunId: run.id,
    workflowRunUrl: run.htmlUrl,
    artifact: report.artifact,
    runId: report.candidate.record.runId,
    headSha: correlation.headSha,
    dataFingerprint: report.candidate.record.data.fingerprint,
    baseline: report.baseline?.version ?? null,
    metrics: report.candidate.metrics,
  };
  const driftIssue = kind === "drift" ? await env.gh.findIssue(driftIssueMarkerPrefix(name)) : null;
  const { title, body } = renderCandidatePull({
    record,
    kind,
    environment: config.deploy.environment,
    ...(driftIssue ? { driftIssue: driftIssue.number } : {}),
  });
  const pull = await env.gh.upsertCandidatePull({
    branch: retrainBranch(name, kind),
    files: [{ path: candidateRecordPath(name, kind), content: renderCandidateRecord(record) }],
    message: `Record ${name} candidate ${correlation.id}`,
    title,
    body,
  });
  await env.gh.upsertComment(pull.number, reportMarker(name), report.markdown);
}

async function reportFailure(input: RetrainInput, report: Extract<CandidateReport, { ok: false }>) {
  const { env, config, correlation, run } = input;
  const issue = renderRetrainFailureIssue({
    modelName: config.model.name,
    kind: correlation.kind,
    reason: report.reason,
    reasonText: describeTrainFailure(report.reason),
    message: report.message,
    runId: run.id,
    runUrl: run.htmlUrl,
    headSha: correlation.headSha,
  });
  await env.gh.upsertIssue({ marker: retrainIssueMarker(config.model.name, correlation.kind), ...issue });
}
