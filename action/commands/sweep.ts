import { resolve } from "node:path";
import { RUN_FILES } from "../../core/run/run-record.ts";
import { readTrialRuns } from "../../adapters/run-dir/read-trial-runs.ts";
import { formatParamValue } from "../../core/compare/flatten-params.ts";
import { ModelshipError } from "../../core/errors.ts";
import { escapeCode, escapeMarkdown } from "../../core/report/escape-markdown.ts";
import { formatNumber } from "../../core/report/format-number.ts";
import { metricDirection } from "../../core/sweep/metric-direction.ts";
import { pickBestTrial, type RankedTrial } from "../../core/sweep/pick-best-trial.ts";
import { planSweep, type Trial } from "../../core/sweep/plan-sweep.ts";
import { loadActionConfig, type CommandContext } from "../command-context.ts";
import { metricsJson } from "../metrics-json.ts";
import { sweepPlanStudyCommand } from "./sweep-study.ts";
import { workspaceRelative, type ActionOutcome } from "../outcome.ts";

const SEARCH_HINT =
  "Declare bounded parameters under train.search in the config, e.g. learningRate: { min: 0.0001, max: 0.1, log: true }.";

/** `sweep-plan`: draws the trials from train.search; output `trials` is the matrix the next job fans out over. */
export async function sweepPlanCommand(ctx: CommandContext): Promise<ActionOutcome> {
  if (ctx.inputs.study !== undefined) return sweepPlanStudyCommand(ctx, ctx.inputs.study);
  const sampler = ctx.inputs.sampler ?? "random";
  const seed = ctx.inputs.seed ?? 1;
  if (sampler !== "random" && sampler !== "grid") {
    throw new ModelshipError({
      code: "input-invalid",
      message: `input 'sampler': ${sampler} learns from finished trials, so it needs a stored study`,
      hint: "Set `study:` to a study name (stored on the modelship-studies branch), or use `sampler: random` or `grid`.",
    });
  }
  const config = await loadActionConfig(ctx, { required: true });
  const plan = planSweep(config.train.search, {
    trials: ctx.inputs.trials,
    sampler,
    seed,
    gridPoints: ctx.inputs["grid-points"],
  });
  if (!plan.ok) {
    throw new ModelshipError({
      code: `sweep-${plan.reason}`,
      message: plan.message,
      ...(plan.reason === "empty-search-space"
        ? { where: { file: resolve(ctx.action.workspace, ctx.inputs.config) } }
        : {}),
      hint: plan.reason === "empty-search-space" ? SEARCH_HINT : "Set `trials:` to a number from 1 to 256.",
    });
  }
  const names = Object.keys(config.train.search).sort();
  const how =
    plan.spaceSize === null
      ? `random, seed ${seed}`
      : `grid of ${plan.spaceSize} point${plan.spaceSize === 1 ? "" : "s"}`;
  const count = `${plan.trials.length} trial${plan.trials.length === 1 ? "" : "s"}`;
  return {
    decision: "pass",
    reasonCode: "sweep-planned",
    message: `${config.model.name}: ${count} (${how}) over ${names.join(", ")}`,
    outputs: { trials: JSON.stringify(plan.trials) },
    summary: `## Modelship · sweep-plan\n\n**${escapeMarkdown(config.model.name)}**: ${count} (${how}) over ${names.map((n) => escapeCode(n)).join(", ")}.\n\n${trialTable(names, plan.trials)}\n`,
    annotations: [],
  };
}

function trialTable(names: readonly string[], trials: readonly Trial[]): string {
  const head = `| Trial | ${names.map((n) => escapeMarkdown(n)).join(" | ")} |\n|---|${names.map(() => "---:|").join("")}`;
  const rows = trials.map(
    (t) =>
      `| ${escapeCode(t.id)} | ${names.map((n) => escapeMarkdown(formatParamValue(t.params[n]))).join(" | ")} |`,
  );
  return [head, ...rows].join("\n");
}

/**
 * `sweep-best`: reads one run directory per trial under `run-dir`, ranks them by metrics.primary in
 * its better direction, and reports the best trial.
 */
export async function sweepBestCommand(ctx: CommandContext): Promise<ActionOutcome> {
  const config = await loadActionConfig(ctx, { required: true });
  const metric = config.metrics.primary;
  if (metric === undefined) {
    throw new ModelshipError({
      code: "sweep-no-metric",
      message: "metrics.primary is not set, so there is no metric to rank the trials by",
      where: { file: resolve(ctx.action.workspace, ctx.inputs.config) },
      hint: "Set metrics.primary in the config (the metric your trainer reports, e.g. accuracy).",
    });
  }
  if (ctx.inputs["run-dir"] === undefined) {
    throw new ModelshipError({
      code: "input-invalid",
      message: "input 'run-dir': sweep-best needs the folder holding the trials' run directories",
      hint: "Download every trial's artifact (actions/download-artifact with `pattern:`) and set `run-dir:` to its `path`.",
    });
  }
  const root = resolve(ctx.action.workspace, ctx.inputs["run-dir"]);
  const searched = new Set(Object.keys(config.train.search));
  const { trials, unreadable } = await readTrialRuns(root, searched);
  for (const u of unreadable) ctx.log(`modelship: trial ${u.id} not ranked: ${u.message} (${u.code})`);
  const direction = metricDirection(config, metric);
  const result = pickBestTrial(trials, { metric, direction });
  const dirs = new Map(trials.map((t) => [t.id, t.dir]));
  const shown = (id: string) => workspaceRelative(dirs.get(id) ?? root, ctx.action.workspace);
  const table = rankingTable({
    ranked: result.ranked,
    names: [...searched].sort(),
    metric,
    best: result.ok ? result.best.id : undefined,
    dirOf: shown,
  });
  const better = direction === "maximize" ? "higher" : "lower";
  const notRanked = unreadable.length
    ? `\n\nNot ranked (the run directory could not be read):\n\n${unreadable.map((u) => `- ${escapeCode(u.id)}: ${escapeMarkdown(u.message, { maxLength: 300 })} (\`${u.code}\`)`).join("\n")}`
    : "";
  const heading = `## Modelship · sweep-best\n\n`;
  if (!result.ok) {
    const noTrials = result.reason === "no-trials";
    const message = noTrials
      ? `no trial run directory under ${workspaceRelative(root, ctx.action.workspace)}${unreadable.length ? ` (${unreadable.length} unreadable)` : ""}`
      : result.message;
    return {
      decision: noTrials ? "error" : "fail",
      reasonCode: `sweep-${result.reason}`,
      message,
      outputs: {},
      summary: `${heading}**${noTrials ? "⚠️" : "❌"} No best trial** (\`sweep-${result.reason}\`): ${escapeMarkdown(message, { maxLength: 500 })}.${result.ranked.length ? `\n\n${table}` : ""}${notRanked}\n`,
      annotations: [
        {
          title: `Modelship sweep-best: sweep-${result.reason}`,
          message: noTrials
            ? `${message}\nDid every trial fail? Each trial uploads its run directory (run.json at the root) only when training succeeded.`
            : `${message}\nCheck that the trainer writes ${metric} to ${RUN_FILES.metrics}, or set metrics.primary to a metric it reports.`,
        },
      ],
    };
  }
  const best = result.best;
  return {
    decision: "pass",
    reasonCode: "best-trial-picked",
    message: `${config.model.name}: best of ${result.ranked.length} trials is ${best.id} with ${metric}=${best.value} (${better} is better)`,
    outputs: {
      "run-dir": shown(best.id),
      metrics: metricsJson(best.metrics),
      trial: best.id,
      params: JSON.stringify(best.params),
    },
    summary: `${heading}**✅ Best trial: ${escapeCode(best.id)}** of ${result.ranked.length} — ${escapeMarkdown(metric)} = ${formatNumber(best.value)} (${better} is better).\n\n${table}${notRanked}\n`,
    annotations: [],
  };
}

function rankingTable(o: {
  ranked: readonly RankedTrial[];
  names: readonly string[];
  metric: string;
  best: string | undefined;
  dirOf: (id: string) => string;
}): string {
  const head = `| # | Trial | ${escapeMarkdown(o.metric)} | ${o.names.map((n) => escapeMarkdown(n)).join(" | ")}${o.names.length ? " | " : ""}Run directory |\n|---:|---|---:|${o.names.map(() => "---:|").join("")}---|`;
  const rows = o.ranked.map((t, i) => {
    const id = t.id === o.best ? `**${escapeCode(t.id)}**` : escapeCode(t.id);
    const params = o.names.map((n) => escapeMarkdown(formatParamValue(t.params[n])));
    return `| ${i + 1} | ${id} | ${t.value === null ? "—" : formatNumber(t.value)} | ${params.join(" | ")}${params.length ? " | " : ""}${escapeCode(o.dirOf(t.id), { maxLength: 300 })} |`;
  });
  return [head, ...rows].join("\n");
}
