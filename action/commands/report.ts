import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { renderComparisonMarkdown, reportMarker } from "../../core/report/render-markdown.ts";
import { compareCandidate, type CandidateComparison } from "../../adapters/compare/compare-candidate.ts";
import { loadActionConfig, type CommandContext } from "../command-context.ts";
import { openActionRegistry, upsertReportComment } from "../github-services.ts";
import { metricsJson } from "../metrics-json.ts";
import { drawComparisonPlots, keepRunRecord, publishReportPlots, type DrawnPlots } from "../report-plots.ts";
import { readExplanation } from "../../adapters/runs/read-explanation.ts";
import { workspaceRelative, type ActionOutcome, type Annotation } from "../outcome.ts";

/** `report`: compares the run with its baseline, writes the report, and keeps one sticky PR comment. */
export async function reportCommand(ctx: CommandContext): Promise<ActionOutcome> {
  const config = await loadActionConfig(ctx);
  const compared = await compareWithBaseline(ctx, config);
  const { comparison } = compared;
  const pr = ctx.inputs.pr ?? ctx.action.pullRequest;
  // Only a pull request's report shows images (here, and the App's from the uploaded plots-dir).
  const drawn = pr !== undefined ? await drawWithBaseline(ctx, compared) : undefined;
  const drawnWarning = drawn && "warning" in drawn ? drawn.warning : undefined;
  if (drawnWarning) ctx.log(`modelship: warning: ${drawnWarning}`);
  const images: Awaited<ReturnType<typeof publishReportPlots>> =
    pr !== undefined
      ? await publishReportPlots(ctx, {
          runDir: compared.candidate.dir,
          runId: compared.candidate.record.runId,
          pr,
          ...(drawn && "dir" in drawn ? { drawn } : {}),
        })
      : {};
  if (drawnWarning) images.warning = [drawnWarning, images.warning].filter(Boolean).join("; ");
  // A damaged explanation.json costs only its section of the report.
  const explanation = await readExplanation(compared.candidate.dir).catch(() => null);
  const markdown = renderComparisonMarkdown(comparison, {
    modelName: config.model.name,
    ...(images.plots ? { plots: images.plots } : {}),
    ...(ctx.action.runUrl ? { runUrl: ctx.action.runUrl } : {}),
    ...(compared.candidate.validation ? { validation: compared.candidate.validation } : {}),
    ...(explanation ? { explanation } : {}),
    data: {
      candidate: compared.candidate.record.data,
      ...(compared.baseline ? { baseline: compared.baseline.run.record.data } : {}),
    },
  });
  const reportPath = await writeReport(ctx, config.model.name, markdown);
  const recordWarning =
    pr !== undefined
      ? await keepRunRecord(ctx, {
          runDir: compared.candidate.dir,
          runId: compared.candidate.record.runId,
          pr,
        })
      : undefined;
  if (recordWarning) images.warning = [images.warning, recordWarning].filter(Boolean).join("; ");
  let commentLine = images.warning ? `\n> [!WARNING]\n> ${images.warning}\n` : "";
  if (pr !== undefined) {
    const comment = await upsertReportComment(ctx, {
      pr,
      marker: reportMarker(config.model.name),
      body: markdown,
    });
    commentLine += `\n---\nPull request #${pr}: report comment ${comment.action} (${comment.url}).\n`;
  }
  return {
    decision: comparison.passed ? "pass" : "fail",
    reasonCode: comparison.reason,
    message: `${config.model.name}: candidate ${comparison.candidate.label} vs ${comparison.baseline?.label ?? "no baseline"}: ${comparison.reason}`,
    outputs: {
      "report-path": reportPath,
      metrics: metricsJson(compared.candidate.metrics),
      ...(drawn && "dir" in drawn ? { "plots-dir": drawn.dir } : {}),
    },
    summary: markdown + commentLine,
    annotations: gateAnnotations(compared),
  };
}

/** With a baseline, its charts drawn next to the candidate's (or why not); undefined without one. */
async function drawWithBaseline(
  ctx: CommandContext,
  c: CandidateComparison,
): Promise<DrawnPlots | undefined> {
  if (!c.baseline) return undefined;
  return drawComparisonPlots(ctx, {
    candidateDir: c.candidate.dir,
    baselineDir: c.baseline.dir,
    labels: { candidate: c.comparison.candidate.label, baseline: c.comparison.baseline?.label ?? "baseline" },
  });
}

/** Compares the `run-dir` input with the `baseline` input (a run directory or a registry reference). */
export async function compareWithBaseline(ctx: CommandContext, config: Config): Promise<CandidateComparison> {
  const runDir = ctx.inputs["run-dir"];
  if (runDir === undefined) {
    throw new ModelshipError({
      code: "input-invalid",
      message: `input 'run-dir': ${ctx.inputs.command} needs the run directory to compare`,
      hint: "Set `run-dir:` to the directory `command: train` wrote (its `run-dir` output).",
    });
  }
  const workspace = ctx.action.workspace;
  const baseline = ctx.inputs.baseline;
  return compareCandidate({
    config,
    registry: openActionRegistry(ctx, config),
    repoDir: workspace,
    runDir: resolve(workspace, runDir),
    ...(baseline !== undefined
      ? { baselineRef: looksLikePath(baseline) ? resolve(workspace, baseline) : baseline }
      : {}),
  });
}

/** One error annotation per failed gate, on the candidate's metrics file. */
export function gateAnnotations(c: CandidateComparison): Annotation[] {
  return c.comparison.failed.map((f) => ({
    title: `Gate failed: ${f.name} (${f.reason})`,
    message: f.message,
  }));
}

/** Writes the Markdown report to .modelship/reports/<model>.md and returns its workspace-relative path. */
export async function writeReport(ctx: CommandContext, model: string, markdown: string): Promise<string> {
  const file = resolve(ctx.action.workspace, ".modelship", "reports", `${model}.md`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, markdown);
  return workspaceRelative(file, ctx.action.workspace);
}

function looksLikePath(ref: string): boolean {
  return ref.includes("/") || ref.startsWith(".");
}
