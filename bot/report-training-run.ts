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
import { escapeMarkdown, safeUrl, truncateText } from "../core/report/escape-markdown.ts";
import { renderValidationMarkdown } from "../core/report/render-validation-markdown.ts";
import type { ValidationReport } from "../core/data/expectations/validation-report.ts";
import { validationCheckAnnotations } from "../core/bot/validation-check-annotations.ts";
import { readRunValidation } from "./read-run-validation.ts";
import {
  GITHUB_COMMENT_LIMIT,
  renderComparisonMarkdown,
  reportMarker,
  type RenderMarkdownOptions,
} from "../core/report/render-markdown.ts";
import { publishReportPlots } from "./publish-report-plots.ts";
import { checkRunRecordText } from "../adapters/github/check-run-record.ts";
import { readExplanation } from "../adapters/runs/read-explanation.ts";
import type { BotEnv } from "./bot-event.ts";
import { TRAIN_CHECK_NAME } from "./dispatch-training.ts";
import type { CheckRunUpdate, PinnedArtifact, WorkflowRunInfo } from "./github-port.ts";
import { CONFIG_PATH, gateLine } from "./load-repo-config.ts";

/** Leaves room under GitHub's 65,535-character check output limit. */
const CHECK_REPORT_LIMIT = 60_000;

export type CandidateReport =
  | {
      ok: true;
      candidate: RunDir;
      /** The exact artifact compared (id, name, digest). */
      artifact: PinnedArtifact;
      baseline: ModelVersion | null;
      /** The baseline's run directory (materialised from its release), when there is a baseline. */
      baselineRun?: RunDir;
      comparison: Comparison;
      /** What the report shows besides the comparison: data, validation, plot images. */
      extras: ReportExtras;
      markdown: string;
    }
  | {
      ok: false;
      reason: TrainFailureReason;
      message: string;
      /** The validate job's results, when the run failed because the data failed its expectations. */
      validation?: ValidationReport;
    };

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
  /** Exactly this artifact of the run (a candidate pull request's pin). */
  pin?: { artifactId: number; digest: string | null };
  /** Show the plots as images in this pull request's report (committed to the assets branch). */
  imagesForPr?: number;
}): Promise<CandidateReport> {
  const { env, config } = input;
  const scratch = await env.scratchDir();
  const artifact = trainArtifactName(config.github.artifactName, input.correlation.id);
  const dest = join(scratch, "candidate");
  const download = await env.gh.downloadRunArtifact(input.run.id, artifact, dest, input.pin);
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
  const labels = { candidate: `run ${input.run.id}`, baseline: baseline ? `v${baseline.version}` : "" };
  const comparison = compareRuns({
    candidate: toRunSummary(candidate, { label: labels.candidate, runUrl: input.run.htmlUrl }),
    ...(baselineRun ? { baseline: toRunSummary(baselineRun, { label: labels.baseline }) } : {}),
    gates: config.metrics.gates,
    ...(config.metrics.primary ? { primary: config.metrics.primary } : {}),
  });
  const images =
    input.imagesForPr === undefined
      ? {}
      : await publishReportPlots({
          env,
          artifactName: config.github.artifactName,
          runId: input.run.id,
          pr: input.imagesForPr,
          candidate,
          ...(baselineRun ? { baseline: baselineRun } : {}),
        });
  if (images.warning) env.log.warn({ run: input.run.id }, `report images: ${images.warning}`);
  // A damaged explanation.json costs only its section of the report.
  const explanation = await readExplanation(candidate.dir).catch(() => null);
  const extras: ReportExtras = {
    data: { candidate: candidate.record.data, ...(baselineRun ? { baseline: baselineRun.record.data } : {}) },
    ...(explanation ? { explanation } : {}),
    ...(candidate.validation ? { validation: candidate.validation } : {}),
    ...(images.plots ? { plots: images.plots } : {}),
    ...(images.warning ? { imagesWarning: images.warning } : {}),
    ...(images.note ? { imagesNote: images.note } : {}),
  };
  return {
    ok: true,
    candidate,
    artifact: download.artifact,
    baseline: baseline ?? null,
    ...(baselineRun ? { baselineRun } : {}),
    comparison,
    extras,
    markdown: renderReport(comparison, { modelName: name, runUrl: input.run.htmlUrl }, extras),
  };
}

/** The report's sections beyond the comparison, shared by the PR comment and the check run. */
export type ReportExtras = Pick<RenderMarkdownOptions, "data" | "validation" | "plots" | "explanation"> & {
  /** Why the plots are Mermaid charts and not images, when publishing them failed. */
  imagesWarning?: string;
  /** Why the images show the candidate alone although there is a baseline. */
  imagesNote?: string;
};

/** The comparison as Markdown with its extras; a note says why images fell back to Mermaid. */
function renderReport(
  comparison: Comparison,
  opts: { modelName: string; runUrl: string; maxLength?: number },
  extras: ReportExtras,
): string {
  const { imagesWarning, imagesNote, ...sections } = extras;
  const note = imagesWarning
    ? `\n> [!NOTE]\n> The plots are shown as Mermaid charts: ${escapeMarkdown(imagesWarning, { maxLength: 300 })}\n`
    : imagesNote
      ? `\n> [!NOTE]\n> The plots show the candidate alone: ${escapeMarkdown(imagesNote, { maxLength: 300 })}\n`
      : "";
  const markdown = renderComparisonMarkdown(comparison, {
    ...opts,
    ...sections,
    ...(opts.maxLength !== undefined || note
      ? { maxLength: (opts.maxLength ?? GITHUB_COMMENT_LIMIT) - note.length }
      : {}),
  });
  return markdown + note;
}

/** Compares a successful run, or names why the run failed. */
export async function assessTrainingRun(input: {
  env: BotEnv;
  config: Config;
  correlation: Correlation;
  run: WorkflowRunInfo;
  baselineRef?: string;
  imagesForPr?: number;
}): Promise<CandidateReport> {
  if (input.run.conclusion === "success") return compareTrainingRun(input);
  const reason = failedRunOutcome(input.run.conclusion).reason;
  // A failed run may have stopped at its validate job: then its results say why, line by line.
  const validation = reason === "run-failed" ? await readRunValidation(input) : undefined;
  return validation && !validation.success
    ? { ok: false, reason: "data-invalid", message: "", validation }
    : { ok: false, reason, message: "" };
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
  const pr = input.correlation.pr;
  const report = await assessTrainingRun({ ...input, ...(pr !== null ? { imagesForPr: pr } : {}) });
  if (pr !== null) {
    const body = report.ok ? report.markdown : trainFailureMarkdown(input, report);
    await input.env.gh.upsertComment(pr, reportMarker(input.config.model.name), body);
  }
  await completeTrainCheck(input, report);
  return report;
}

/** The failure report for a run that did not produce a comparable candidate. */
export function trainFailureMarkdown(
  input: { config: Config; correlation: Correlation; run: WorkflowRunInfo },
  report: Extract<CandidateReport, { ok: false }>,
): string {
  const failure = renderFailure({
    modelName: input.config.model.name,
    reason: report.reason,
    message: report.message,
    runUrl: input.run.htmlUrl,
    headSha: input.correlation.headSha,
  });
  return report.validation
    ? `${failure}\n\n${renderValidationMarkdown(report.validation).replace("<details>", "<details open>")}`
    : failure;
}

/** Completes (or creates, completed) the `modelship/train` check run of the correlation's commit. */
export async function completeTrainCheck(
  input: { env: BotEnv; config: Config; configText?: string; correlation: Correlation; run: WorkflowRunInfo },
  report: CandidateReport,
): Promise<void> {
  const { env, correlation, run } = input;
  const checkRuns = await env.gh.listCheckRuns(correlation.headSha, TRAIN_CHECK_NAME);
  const check = checkRuns.find((c) => c.externalId === correlation.id);
  const result = checkResult(input, report);
  // The run's record outlives the artifact on its check run, where `runs pull --source checks` finds it.
  if (report.ok && result.output) {
    result.output.text = await checkRunRecordText(report.candidate.dir, {
      runId: report.candidate.record.runId,
      workflowRun: { id: run.id, url: run.htmlUrl },
      artifact: report.artifact,
    });
  }
  const update = { status: "completed" as const, detailsUrl: run.htmlUrl, ...result };
  if (check) await env.gh.updateCheckRun(check.id, update);
  else
    await env.gh.createCheckRun({
      name: TRAIN_CHECK_NAME,
      headSha: correlation.headSha,
      externalId: correlation.id,
      ...update,
    });
}

function checkResult(
  input: { config: Config; configText?: string; correlation: Correlation; run: WorkflowRunInfo },
  report: CandidateReport,
): Pick<CheckRunUpdate, "conclusion" | "output"> {
  if (!report.ok) {
    const conclusion =
      input.run.conclusion === "success" ? "failure" : failedRunOutcome(input.run.conclusion).conclusion;
    const summary = trainFailureMarkdown(input, report);
    if (report.validation) {
      return {
        conclusion: "failure",
        output: {
          title: describeTrainFailure(report.reason),
          summary: truncateText(summary, CHECK_REPORT_LIMIT),
          annotations: validationCheckAnnotations(report.validation, CONFIG_PATH),
        },
      };
    }
    return { conclusion, output: { title: describeTrainFailure(report.reason), summary } };
  }
  const checkMarkdown = renderReport(
    report.comparison,
    { modelName: input.config.model.name, runUrl: input.run.htmlUrl, maxLength: CHECK_REPORT_LIMIT },
    report.extras,
  );
  const text = input.configText;
  const result = checkRunFromComparison({
    comparison: report.comparison,
    report: checkMarkdown,
    configFile: CONFIG_PATH,
    ...(text !== undefined ? { gateLine: (metric: string) => gateLine(text, metric) } : {}),
  });
  return {
    conclusion: result.conclusion,
    output: { title: result.title, summary: result.summary, annotations: result.annotations },
  };
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
