import { join } from "node:path";
import { readRunDir, toRunSummary, type RunDir } from "../adapters/run-dir/read-run-dir.ts";
import {
  checkRunFromComparison,
  describeTrainFailure,
  failedRunOutcome,
  type TrainFailureReason,
} from "../core/bot/check-run-result.ts";
import { trainArtifactName, type Correlation } from "../core/bot/correlation-id.ts";
import { compareRuns, type Comparison } from "../core/compare/compare-runs.ts";
import type { Config } from "../core/config/schema.ts";
import { formatProblem, ModelshipError } from "../core/errors.ts";
import type { ModelVersion } from "../core/registry/registry-port.ts";
import { escapeMarkdown, safeUrl } from "../core/report/escape-markdown.ts";
import { renderComparisonMarkdown, reportMarker } from "../core/report/render-markdown.ts";
import type { BotEnv } from "./bot-event.ts";
import { TRAIN_CHECK_NAME } from "./dispatch-training.ts";
import type { WorkflowRunInfo } from "./github-port.ts";
import { CONFIG_PATH, gateLine } from "./load-repo-config.ts";

/** Leaves room under GitHub's 65,535-character check output limit. */
const CHECK_REPORT_LIMIT = 60_000;

export type CandidateReport =
  | { ok: true; candidate: RunDir; baseline: ModelVersion | null; comparison: Comparison; markdown: string }
  | { ok: false; reason: TrainFailureReason; message: string };

/**
 * Downloads a successful training run's artifact, verifies it, and compares it with the baseline:
 * `baselineRef` when given, else the version the deploy environment's alias points to, else the latest.
 */
export async function compareTrainingRun(input: {
  env: BotEnv;
  config: Config;
  correlation: Correlation;
  run: WorkflowRunInfo;
  baselineRef?: string;
}): Promise<CandidateReport> {
  const { env, config } = input;
  const scratch = await env.scratchDir();
  const artifact = trainArtifactName(config.github.artifactName, input.correlation.id);
  const download = await env.gh.downloadRunArtifact(input.run.id, artifact, join(scratch, "candidate"));
  if (!download.ok) return { ok: false, reason: download.reason, message: download.message };
  let candidate: RunDir;
  try {
    candidate = await readRunDir(download.dir);
  } catch (err) {
    return { ok: false, reason: "artifact-invalid", message: problemText(err) };
  }
  const name = config.model.name;
  if (candidate.record.model.name !== name) {
    return {
      ok: false,
      reason: "model-name-mismatch",
      message: `the run trained a '${candidate.record.model.name}' model but the config names '${name}'.`,
    };
  }
  const registry = await env.gh.registry({ tagFormat: config.registry.tagFormat });
  const refs = input.baselineRef ? [input.baselineRef] : [config.deploy.environment, "latest"];
  let baseline: ModelVersion | undefined;
  for (const ref of refs) {
    baseline = await registry.resolve(name, ref);
    if (baseline) break;
  }
  let baselineRun: RunDir | undefined;
  if (baseline) {
    const dir = join(scratch, "baseline");
    await registry.materialize(name, baseline.version, dir);
    baselineRun = await readRunDir(dir);
  }
  const comparison = compareRuns({
    candidate: toRunSummary(candidate, { label: `run ${input.run.id}`, runUrl: input.run.htmlUrl }),
    ...(baselineRun && baseline
      ? { baseline: toRunSummary(baselineRun, { label: `v${baseline.version}` }) }
      : {}),
    gates: config.metrics.gates,
    ...(config.metrics.primary ? { primary: config.metrics.primary } : {}),
  });
  const markdown = renderComparisonMarkdown(comparison, { modelName: name, runUrl: input.run.htmlUrl });
  return { ok: true, candidate, baseline: baseline ?? null, comparison, markdown };
}

/**
 * Finishes a training run on the PR: compares (or explains the failure), upserts the ONE sticky
 * comment for this PR and model, and completes the `modelship/train` check run.
 */
export async function reportTrainingRun(input: {
  env: BotEnv;
  config: Config;
  /** The config's text, to point failed-gate annotations at the gate's line. */
  configText?: string;
  correlation: Correlation;
  run: WorkflowRunInfo;
  baselineRef?: string;
}): Promise<CandidateReport> {
  const { env, config, correlation, run } = input;
  const report: CandidateReport =
    run.conclusion === "success"
      ? await compareTrainingRun(input)
      : { ok: false, reason: failedRunOutcome(run.conclusion).reason, message: "" };
  const checkRuns = await env.gh.listCheckRuns(correlation.headSha, TRAIN_CHECK_NAME);
  const check = checkRuns.find((c) => c.externalId === correlation.id);
  const name = config.model.name;
  if (report.ok) {
    if (correlation.pr !== null)
      await env.gh.upsertComment(correlation.pr, reportMarker(name), report.markdown);
    const checkMarkdown = renderComparisonMarkdown(report.comparison, {
      modelName: name,
      runUrl: run.htmlUrl,
      maxLength: CHECK_REPORT_LIMIT,
    });
    const text = input.configText;
    const result = checkRunFromComparison({
      comparison: report.comparison,
      report: checkMarkdown,
      configFile: CONFIG_PATH,
      ...(text !== undefined ? { gateLine: (metric: string) => gateLine(text, metric) } : {}),
    });
    const update = {
      status: "completed" as const,
      conclusion: result.conclusion,
      detailsUrl: run.htmlUrl,
      output: { title: result.title, summary: result.summary, annotations: result.annotations },
    };
    if (check) await env.gh.updateCheckRun(check.id, update);
    else
      await env.gh.createCheckRun({
        name: TRAIN_CHECK_NAME,
        headSha: correlation.headSha,
        externalId: correlation.id,
        ...update,
      });
    return report;
  }
  const conclusion = run.conclusion === "success" ? "failure" : failedRunOutcome(run.conclusion).conclusion;
  const body = renderFailure({
    modelName: name,
    reason: report.reason,
    message: report.message,
    runUrl: run.htmlUrl,
    headSha: correlation.headSha,
  });
  if (correlation.pr !== null) await env.gh.upsertComment(correlation.pr, reportMarker(name), body);
  const update = {
    status: "completed" as const,
    conclusion,
    detailsUrl: run.htmlUrl,
    output: { title: describeTrainFailure(report.reason), summary: body },
  };
  if (check) await env.gh.updateCheckRun(check.id, update);
  else
    await env.gh.createCheckRun({
      name: TRAIN_CHECK_NAME,
      headSha: correlation.headSha,
      externalId: correlation.id,
      ...update,
    });
  return report;
}

function renderFailure(input: {
  modelName: string;
  reason: TrainFailureReason;
  message: string;
  runUrl: string;
  headSha: string;
}): string {
  const url = safeUrl(input.runUrl);
  return [
    reportMarker(input.modelName),
    `## Modelship · ${escapeMarkdown(input.modelName)}`,
    "",
    `❌ ${describeTrainFailure(input.reason)} (\`${input.reason}\`, commit ${input.headSha.slice(0, 7)})`,
    ...(input.message ? ["", escapeMarkdown(input.message, { maxLength: 2000 })] : []),
    "",
    url ? `Logs: [workflow run](${url})` : "Logs: see the workflow run in the Actions tab.",
  ].join("\n");
}

function problemText(err: unknown): string {
  if (err instanceof ModelshipError) return err.problems.map(formatProblem).join("; ");
  return err instanceof Error ? err.message : String(err);
}
