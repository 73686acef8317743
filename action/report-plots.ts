import { rm } from "node:fs/promises";
import { join } from "node:path";
import { assetsFolder, publishPlotAssets } from "../adapters/github/publish-plot-assets.ts";
import { storeRunRecord } from "../adapters/github/store-run-record.ts";
import { readComparisonPlots } from "../adapters/plots/comparison-plots.ts";
import { readRunPlots, type WrittenPlot } from "../adapters/plots/read-run-plots.ts";
import type { RenderMarkdownOptions } from "../core/report/render-markdown.ts";
import { requireRepository, type CommandContext } from "./command-context.ts";
import { octokitFor } from "./github-services.ts";
import { resolveModelshipCli, runModelshipCli } from "./resolve-cli.ts";

/** Where the report draws the comparison plots: `<RUNNER_TEMP>/modelship-plots` (the `plots-dir` output). */
export function comparisonPlotsDir(ctx: CommandContext): string {
  return join(ctx.action.tempDir, "modelship-plots");
}

/** Comparison plots drawn on the runner (`dir`), or why they were not (`warning`). */
export type DrawnPlots = { dir: string; plots: WrittenPlot[] } | { warning: string };

/**
 * Draws the candidate's charts with the baseline's next to them through the `modelship plots` CLI
 * (the bundle carries no renderer: resvg is native; the CLI is resolved as `train` resolves it).
 * Never throws: a failure is a warning, and the report falls back to the run's own plots.
 */
export async function drawComparisonPlots(
  ctx: CommandContext,
  opts: { candidateDir: string; baselineDir: string; labels: { candidate: string; baseline: string } },
): Promise<DrawnPlots> {
  const out = comparisonPlotsDir(ctx);
  const why = (text: string): DrawnPlots => ({ warning: `plots with the baseline were not drawn: ${text}` });
  try {
    await rm(out, { recursive: true, force: true });
    const cli = await resolveModelshipCli({
      env: ctx.env,
      workspace: ctx.action.workspace,
      toolCacheDir: ctx.env["RUNNER_TOOL_CACHE"] ?? join(ctx.action.tempDir, "tool-cache"),
      log: ctx.log,
    });
    const args = ["plots", opts.candidateDir, "--baseline", opts.baselineDir, "--out", out];
    // `--name=value`: a label comes from the run's record and may start with a dash.
    const labels = [`--label=${opts.labels.candidate}`, `--baseline-label=${opts.labels.baseline}`];
    const run = await runModelshipCli(cli, [...args, ...labels, "--json"], {
      cwd: ctx.action.workspace,
      env: ctx.env,
      stderrLine: (line) => ctx.log(line),
    });
    if (run.code !== 0) {
      const last = run.stderr.trim().split("\n").at(-1) ?? "";
      return why(`\`modelship plots\` exited with ${run.code ?? "a signal"}${last ? `: ${last}` : ""}`);
    }
    const read = await readComparisonPlots(out);
    return read.ok ? { dir: out, plots: read.plots } : why(`${out}: ${read.error}`);
  } catch (err) {
    return why((err as Error).message);
  }
}

/**
 * The report's plots as images in the pull-request comment: the comparison plots when they were
 * drawn, else the run's own (drawn while training, candidate alone), committed to the
 * `modelship-assets` branch and linked from the repository. Without plots, or when the branch
 * cannot be written, the report keeps its Mermaid charts and `warning` says why.
 */
export async function publishReportPlots(
  ctx: CommandContext,
  opts: { runDir: string; runId: string; pr: number; drawn?: { dir: string; plots: WrittenPlot[] } },
): Promise<{ plots?: RenderMarkdownOptions["plots"]; warning?: string }> {
  const dir = opts.drawn?.dir ?? opts.runDir;
  const plots = opts.drawn?.plots ?? (await readRunPlots(opts.runDir));
  if (plots.length === 0) return {};
  const { owner, repo } = requireRepository(ctx);
  const published = await publishPlotAssets(
    octokitFor(ctx, "commit the report's images to the modelship-assets branch"),
    {
      owner,
      repo,
      serverUrl: ctx.action.serverUrl,
      folder: assetsFolder(opts.pr, opts.runId),
      runDir: dir,
      plots,
      message: `Report images for pull request #${opts.pr} (run ${opts.runId})`,
    },
  );
  return published.ok
    ? { plots: published.images }
    : { warning: `${published.message} [${published.reason}]` };
}

/** Keeps the run's record on the `modelship-runs` branch; a warning when it cannot. */
export async function keepRunRecord(
  ctx: CommandContext,
  opts: { runDir: string; runId: string; pr: number },
): Promise<string | undefined> {
  const { owner, repo } = requireRepository(ctx);
  const stored = await storeRunRecord(octokitFor(ctx, "keep the run's record on the modelship-runs branch"), {
    owner,
    repo,
    runDir: opts.runDir,
    runId: opts.runId,
    message: `Run ${opts.runId} of pull request #${opts.pr}`,
  });
  return stored.ok ? undefined : `${stored.message} [${stored.reason}]`;
}
