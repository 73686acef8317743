import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Option, type Command } from "commander";
import { resolveRun } from "../../adapters/runs/index-runs.ts";
import { pullRuns } from "../../adapters/runs/pull-runs.ts";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import { readRunDir } from "../../adapters/run-dir/read-run-dir.ts";
import { ModelshipError } from "../../core/errors.ts";
import { formatNumber } from "../../core/report/format-number.ts";
import { compareRunTable } from "../../core/runs/compare-run-table.ts";
import { matchRunFilter } from "../../core/runs/match-run-filter.ts";
import { parseRunFilter } from "../../core/runs/parse-run-filter.ts";
import { parseRunOrder, sortRuns } from "../../core/runs/parse-run-order.ts";
import { planRunsGc } from "../../core/runs/plan-runs-gc.ts";
import { renderRunTableMarkdown, renderRunTableText } from "../../core/runs/render-run-table.ts";
import type { RunEntry } from "../../core/runs/run-entry.ts";
import { metricDirection } from "../../core/sweep/metric-direction.ts";
import { emit, loadCommonConfig } from "../shared/options.ts";
import { info } from "../shared/output.ts";
import { openIndex, withRunsOptions, type RunsOptions } from "../shared/run-index.ts";
import { registerRunsExport } from "./runs-export.ts";
import { pullFromChecks } from "./runs-pull-checks.ts";

type PullOptions = {
  remote: string;
  source: "branch" | "checks";
  githubRepo?: string;
  pr?: string;
  limit?: string;
};

/** `modelship runs list|show|compare|gc|export|pull`: the run history of this workspace. */
export function register(program: Command): void {
  const runs = program
    .command("runs")
    .description("Search, compare, export and prune the runs of this workspace.");

  withRunsOptions(
    runs
      .command("list")
      .description("Every run, newest first; filter and sort with MLflow's search syntax.")
      .option("--filter <expr>", 'e.g. "metrics.accuracy > 0.9 and params.learningRate < 0.05"')
      .option("--sort <key>", "e.g. -metrics.accuracy (descending) or attributes.start_time")
      .option("--limit <n>", "show at most N runs")
      .option("--json", "print { runs, unreadable } as JSON"),
  ).action(async (opts: RunsOptions & { filter?: string; sort?: string; limit?: string }) => {
    const clauses = parseRunFilter(opts.filter ?? "");
    const order = opts.sort ? parseRunOrder(opts.sort) : undefined;
    const limit = parseLimit(opts.limit);
    const index = await openIndex(opts);
    let selected = index.runs.filter((r) => matchRunFilter(r, clauses));
    if (order) selected = sortRuns(selected, order);
    selected = selected.slice(0, limit);
    emit(opts.json, { runs: selected, unreadable: index.unreadable }, () =>
      renderList(selected, index.runs.length),
    );
  });

  withRunsOptions(
    runs
      .command("show")
      .description("One run: attributes, params, final metrics, tags and per-epoch history.")
      .argument("<run>", "run id, unique prefix of one, or run directory")
      .option("--json", "print { run, history } as JSON"),
  ).action(async (ref: string, opts: RunsOptions) => {
    const index = await openIndex(opts);
    const run = await resolveRun(index, ref);
    const dir = await readRunDir(resolve(index.workspace, run.path));
    const history = dir.history?.epochs ?? null;
    emit(opts.json, { run, history }, () => renderShow(run, history?.length ?? 0));
  });

  withRunsOptions(
    runs
      .command("compare")
      .description("A table of several runs' metrics and the params that differ; best values marked.")
      .argument("<runs...>", "two or more run ids, prefixes or run directories")
      .addOption(
        new Option("-f, --format <format>", "output format")
          .choices(["text", "markdown", "json"])
          .default("text"),
      )
      .addOption(new Option("--json", "same as --format json").conflicts("format")),
  ).action(async (refs: string[], opts: RunsOptions & { format: "text" | "markdown" | "json" }) => {
    if (refs.length < 2) {
      throw new ModelshipError({
        code: "option-invalid",
        message: `runs compare needs at least two runs, got ${refs.length}`,
        hint: "Pass two or more run ids; `modelship compare RUN_DIR` compares one run with the registry's baseline.",
      });
    }
    const { config } = await loadCommonConfig(opts);
    const index = await openIndex(opts);
    const entries: RunEntry[] = [];
    for (const ref of refs) entries.push(await resolveRun(index, ref));
    const table = compareRunTable(entries, (m) => metricDirection(config, m));
    const format = opts.json ? "json" : opts.format;
    process.stdout.write(
      format === "json"
        ? `${JSON.stringify(table, null, 2)}\n`
        : format === "markdown"
          ? renderRunTableMarkdown(table)
          : renderRunTableText(table),
    );
  });

  withRunsOptions(
    runs
      .command("gc")
      .description(
        "Delete old run directories, keeping the newest N and every run a registered version came from.",
      )
      .requiredOption("--keep <n>", "how many of the newest runs to keep")
      .option("--dry-run", "list what would be deleted, delete nothing")
      .option("--json", "print { keep, remove } as JSON"),
  ).action(async (opts: RunsOptions & { keep: string; dryRun?: boolean }) => {
    const keep = parseLimit(opts.keep, "--keep") ?? 0;
    const { config, repoDir } = await loadCommonConfig(opts);
    const registry = await openGitRegistry({ repoDir, tagFormat: config.registry.tagFormat });
    const registeredRunIds = new Set((await registry.list()).map((v) => v.runId));
    const index = await openIndex(opts);
    const plan = planRunsGc({ runs: index.runs, keep, registeredRunIds });
    if (!opts.dryRun)
      for (const r of plan.remove) await rm(join(index.workspace, r.path), { recursive: true, force: true });
    emit(opts.json, { ...plan, dryRun: opts.dryRun === true }, () => renderGc(plan, opts.dryRun === true));
  });

  withRunsOptions(
    runs
      .command("pull")
      .description(
        "Fetch CI runs' records into the run history: from the modelship-runs branch, or from pull requests' modelship/train check runs.",
      )
      .option("--remote <name>", "the git remote of the GitHub repository", "origin")
      .addOption(
        new Option("--source <where>", "branch: the modelship-runs branch; checks: check runs (GitHub API)")
          .choices(["branch", "checks"])
          .default("branch"),
      )
      .option(
        "--github-repo <owner/name>",
        "checks: the repository (default: $GITHUB_REPOSITORY, else the remote's URL)",
      )
      .option(
        "--pr <numbers>",
        "checks: these pull requests, comma-separated (default: the most recently updated)",
      )
      .option("--limit <n>", "checks: how many recently updated pull requests to read (default 30)")
      .option(
        "--json",
        "print { remote, pulled, unchanged } as JSON (checks: { repository, pullRequests, pulled, unchanged })",
      ),
  ).action(async (opts: RunsOptions & PullOptions) => {
    if (opts.source === "checks") {
      const result = await pullFromChecks({
        workspace: resolve(opts.repo),
        runsDir: opts.runsDir,
        remote: opts.remote,
        githubRepo: opts.githubRepo,
        pulls: opts.pr,
        limit: opts.limit,
      });
      emit(
        opts.json,
        result,
        () =>
          `pulled ${result.pulled.length} run record(s) from check runs of ${result.repository} (${result.pullRequests.length} pull requests)${result.unchanged.length ? `, ${result.unchanged.length} unchanged` : ""}\n`,
      );
      return;
    }
    const result = await pullRuns({
      workspace: resolve(opts.repo),
      runsDir: opts.runsDir,
      remote: opts.remote,
    });
    emit(
      opts.json,
      result,
      () =>
        `pulled ${result.pulled.length} run record(s) from ${result.remote}${result.unchanged.length ? `, ${result.unchanged.length} unchanged` : ""}\n`,
    );
  });

  registerRunsExport(runs);
}

function parseLimit(text: string | undefined, flag = "--limit"): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `${flag} must be a whole number, got '${text}'`,
      hint: `For example ${flag} 10.`,
    });
  }
  return Number(text);
}

function renderList(runs: RunEntry[], total: number): string {
  if (runs.length === 0)
    return total === 0
      ? "no runs yet (`modelship train` writes one)\n"
      : `no run matches (${total} indexed)\n`;
  const rows = runs.map((r) => [
    r.id,
    r.status === "failed" ? "failed" : "ok",
    r.source,
    r.startedAt.slice(0, 19).replace("T", " "),
    Object.entries(r.metrics)
      .slice(0, 3)
      .map(([k, v]) => `${k}=${formatNumber(v)}`)
      .join(" "),
  ]);
  const header = ["run", "status", "source", "started", "metrics"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return `${[fmt(header), ...rows.map(fmt)].join("\n")}\n`;
}

function renderShow(r: RunEntry, epochs: number): string {
  const kv = (o: Record<string, unknown>) =>
    Object.entries(o).map(
      ([k, v]) => `    ${k.padEnd(28)} ${typeof v === "number" ? formatNumber(v) : String(v)}`,
    );
  return `${[
    `run ${r.id} (${r.status}, ${r.source})`,
    `  path:     ${r.path}`,
    `  model:    ${r.model} (${r.task}, ${r.trainer} trainer)`,
    `  started:  ${r.startedAt}  duration ${formatNumber(r.durationMs / 1000)} s`,
    `  history:  ${epochs} epoch(s)`,
    "  metrics:",
    ...kv(r.metrics),
    "  params:",
    ...kv(r.params),
    "  tags:",
    ...kv(r.tags),
  ].join("\n")}\n`;
}

function renderGc(plan: ReturnType<typeof planRunsGc>, dryRun: boolean): string {
  const verb = dryRun ? "would delete" : "deleted";
  const lines = plan.remove.map((r) => `${verb} ${r.path}`);
  const registered = plan.keep.filter((k) => k.reason === "registered").length;
  lines.push(
    `kept ${plan.keep.length} run(s)${registered ? `, ${registered} because a registered version came from them` : ""}`,
  );
  if (plan.remove.length === 0) info("nothing to delete");
  return `${lines.join("\n")}\n`;
}
