import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { readStudyRuns } from "../../adapters/studies/read-study-runs.ts";
import {
  STUDIES_BRANCH,
  studyBranchPath,
  updateStudyOnBranch,
} from "../../adapters/studies/branch-study-store.ts";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { escapeCode, escapeMarkdown } from "../../core/report/escape-markdown.ts";
import { openStudy } from "../../core/sweep/open-study.ts";
import { curvesForMatrix, MAX_CURVES_CHARS, type PruningCurves } from "../../core/sweep/matrix-pruning.ts";
import { MAX_TRIALS } from "../../core/sweep/plan-sweep.ts";
import { planStudyTrials } from "../../core/sweep/plan-study-trials.ts";
import { trialId } from "../../core/sweep/record-trial-result.ts";
import { renderStudyComment, studyCommentMarker } from "../../core/sweep/render-study-comment.ts";
import { renderStudyTable, summarizeStudy } from "../../core/sweep/summarize-study.ts";
import type { Study } from "../../core/sweep/study.ts";
import { tellStudy, type ToldRun } from "../../core/sweep/tell-study.ts";
import { loadActionConfig, requireRepository, type CommandContext } from "../command-context.ts";
import { octokitFor, upsertReportComment } from "../github-services.ts";
import type { ActionOutcome } from "../outcome.ts";

const SEARCH_HINT =
  "Declare bounded parameters under train.search in the config, e.g. learningRate: { min: 0.0001, max: 0.1, log: true }.";

function branchStore(ctx: CommandContext, name: string) {
  const octokit = octokitFor(ctx, `read and write study ${name} on the ${STUDIES_BRANCH} branch`);
  return { octokit, where: { ...requireRepository(ctx), name } };
}

/**
 * `sweep-plan` with `study`: the stored study's sampler proposes the next trials given those that
 * finished; they are recorded as running on the studies branch and output as the matrix.
 */
export async function sweepPlanStudyCommand(ctx: CommandContext, name: string): Promise<ActionOutcome> {
  const config = await loadActionConfig(ctx, { required: true });
  const count = ctx.inputs.trials;
  if (count < 1 || count > MAX_TRIALS) {
    throw new ModelshipError({
      code: "sweep-invalid-trial-count",
      message: `input 'trials': expected a positive integer up to ${MAX_TRIALS} (got ${count})`,
      hint: `Set \`trials:\` to a number from 1 to ${MAX_TRIALS}.`,
    });
  }
  const planned = await planOnBranch(ctx, config, name, count);
  const trials = planned.trials.map((t) => ({ id: trialId(t.number), number: t.number, params: t.params }));
  if (trials.length === 0) return gridExhausted(name);
  const curves = planned.curves;
  const names = Object.keys(config.train.search).sort();
  const head = `| Trial | ${names.map((n) => escapeMarkdown(n)).join(" | ")} |\n|---|${names.map(() => "---:|").join("")}`;
  const rows = trials.map(
    (t) =>
      `| ${escapeCode(t.id)} | ${names.map((n) => escapeMarkdown(String(t.params[n] ?? ""))).join(" | ")} |`,
  );
  const what = `${trials.length} trial(s) planned in ${planned.created ? "new " : ""}study ${name} (${planned.sampler})${planned.exhausted ? "; the grid is now used up" : ""}`;
  return {
    decision: "pass",
    reasonCode: "sweep-planned",
    message: `${config.model.name}: ${what}, stored at ${STUDIES_BRANCH}:${studyBranchPath(name)}`,
    outputs: { trials: JSON.stringify(trials), pruning: curves ? JSON.stringify(curves) : "" },
    summary: `## Modelship · sweep-plan\n\n**${escapeMarkdown(config.model.name)}**: ${escapeMarkdown(what)}.\n\n${[head, ...rows].join("\n")}\n\n${pruningLine(curves)}\n`,
    annotations: [],
  };
}

/** Opens (or creates) the study on the branch and records `count` new running trials in it. */
async function planOnBranch(ctx: CommandContext, config: Config, name: string, count: number) {
  const { octokit, where } = branchStore(ctx, name);
  return updateStudyOnBranch(
    octokit,
    { ...where, message: `Study ${name}: plan ${count} trial(s)` },
    (stored) => {
      const opened = openStudy({ name, config, stored, settings: settingsOf(ctx) });
      if (!opened.ok)
        throw new ModelshipError({ code: opened.reason, message: opened.message, hint: opened.hint });
      const plan = planStudyTrials(opened.study, count);
      if (!plan.ok) {
        throw new ModelshipError({
          code: `sweep-${plan.reason}`,
          message: plan.message,
          where: { file: resolve(ctx.action.workspace, ctx.inputs.config) },
          hint: SEARCH_HINT,
        });
      }
      const result = {
        trials: plan.planned,
        curves: curvesForMatrix(opened.study),
        created: opened.created,
        exhausted: plan.exhausted,
        sampler: opened.study.sampler,
      };
      return { study: opened.study, result };
    },
  );
}

/** What the planned trials prune with, as the summary says it. */
function pruningLine(curves: PruningCurves | null): string {
  if (!curves) return "Pruning: none (the study's pruner is `none`); every trial trains all its epochs.";
  const left = curves.omitted
    ? ` (${curves.omitted} older trial(s) left out to keep the \`pruning\` output under ${MAX_CURVES_CHARS.toLocaleString("en-US")} characters)`
    : "";
  return `Pruning: each trial applies the study's ${curves.pruner} pruner at every epoch against the curves of ${curves.trials.length} finished trial(s)${left}; trials of this run do not see each other's.`;
}

function gridExhausted(name: string): ActionOutcome {
  return {
    decision: "fail",
    reasonCode: "sweep-grid-exhausted",
    message: `study ${name}: every point of the grid has been tried; nothing left to plan`,
    outputs: { trials: "[]" },
    summary: `## Modelship · sweep-plan\n\n**Study ${escapeCode(name)}**: the grid is used up, no trial planned.\n`,
    annotations: [
      {
        title: "Modelship sweep-plan: sweep-grid-exhausted",
        message: `Study ${name} has tried every grid point. Start a new study with another name to search again.`,
      },
    ],
  };
}

function settingsOf(ctx: CommandContext) {
  const i = ctx.inputs;
  return {
    ...(i.sampler ? { sampler: i.sampler } : {}),
    ...(i.pruner ? { pruner: i.pruner } : {}),
    ...(i.seed !== undefined ? { seed: i.seed } : {}),
    gridPoints: i["grid-points"],
  };
}

/**
 * `sweep-tell`: records the downloaded trial runs (folder names ending in `-t012`) in the study on
 * the studies branch; trials of the study still running with no run are recorded as failed. With
 * a pull request, upserts the study's table as one sticky comment.
 */
export async function sweepTellCommand(ctx: CommandContext): Promise<ActionOutcome> {
  const name = ctx.inputs.study;
  const runDir = ctx.inputs["run-dir"];
  if (name === undefined || runDir === undefined) {
    throw new ModelshipError({
      code: "input-invalid",
      message: `input '${name === undefined ? "study" : "run-dir"}': sweep-tell needs the study's name and the folder holding the trials' run directories`,
      hint: "Set `study:` to the name sweep-plan used, and `run-dir:` to the `path` where actions/download-artifact put the trials.",
    });
  }
  const root = resolve(ctx.action.workspace, runDir);
  // When every trial failed, download-artifact finds nothing and leaves no folder: no runs.
  const runs = existsSync(root) ? await readStudyRuns(root) : [];
  if (runs.length === 0) ctx.log(`modelship: no trial run under ${runDir}`);
  const { study, told } = await tellOnBranch(ctx, name, runs);
  for (const dir of told.unknown) ctx.log(`modelship: not a trial of study ${name}: ${dir}`);
  const summary = summarizeStudy(study);
  const commentLine = await postStudyComment(ctx, study);
  const recorded = `recorded ${told.told.length} trial run(s)${told.unreported.length ? `, ${told.unreported.length} trial(s) without a run marked failed` : ""}`;
  const summaryText = `## Modelship · sweep-tell\n\n${escapeMarkdown(recorded)}.\n\n${renderStudyTable(study)}\n${commentLine}`;
  if (!summary.best) {
    return {
      decision: "fail",
      reasonCode: "sweep-no-complete-trial",
      message: `study ${name}: ${recorded}; no trial has completed`,
      outputs: { study: JSON.stringify(summary) },
      summary: summaryText,
      annotations: [
        {
          title: "Modelship sweep-tell: sweep-no-complete-trial",
          message: `No trial of study ${name} completed. Each trial job uploads its run directory; look at the failed trial jobs' logs.`,
        },
      ],
    };
  }
  return {
    decision: "pass",
    reasonCode: "study-told",
    message: `study ${name}: ${recorded}; best trial ${trialId(summary.best.trial)} with ${study.objective.metric}=${summary.best.value}`,
    outputs: {
      study: JSON.stringify(summary),
      trial: trialId(summary.best.trial),
      params: JSON.stringify(summary.best.params),
    },
    summary: summaryText,
    annotations: [],
  };
}

/** Records the runs in the stored study (which must exist) and commits it back. */
async function tellOnBranch(ctx: CommandContext, name: string, runs: readonly ToldRun[]) {
  const { octokit, where } = branchStore(ctx, name);
  return updateStudyOnBranch(
    octokit,
    { ...where, message: `Study ${name}: record ${runs.length} trial run(s)` },
    (stored) => {
      if (!stored) {
        throw new ModelshipError({
          code: "study-missing",
          message: `there is no study ${name} on the ${STUDIES_BRANCH} branch`,
          hint: "Plan its trials first with `command: sweep-plan` and the same `study:`.",
        });
      }
      return {
        study: stored,
        result: { study: stored, told: tellStudy(stored, runs, { unreportedFail: true }) },
      };
    },
  );
}

/** Upserts the study's one comment on the pull request, if there is one; the summary's line about it. */
async function postStudyComment(ctx: CommandContext, study: Study): Promise<string> {
  const pr = ctx.inputs.pr ?? ctx.action.pullRequest;
  if (pr === undefined) return "";
  const marker = studyCommentMarker(study.name);
  const body = renderStudyComment(study, ctx.action.runUrl ? { runUrl: ctx.action.runUrl } : {});
  const comment = await upsertReportComment(ctx, { pr, marker, body });
  return `\nPull request #${pr}: study comment ${comment.action} (${comment.url}).\n`;
}
