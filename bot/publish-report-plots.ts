import { join } from "node:path";
import { assetsFolder } from "../adapters/github/publish-plot-assets.ts";
import { readPlotInput, readRunPlots, type WrittenPlot } from "../adapters/plots/read-run-plots.ts";
import type { RunDir } from "../adapters/run-dir/read-run-dir.ts";
import type { RenderMarkdownOptions } from "../core/report/render-markdown.ts";
import type { BotEnv } from "./bot-event.ts";

export type ReportPlots = { plots?: RenderMarkdownOptions["plots"]; warning?: string };

/**
 * The images of the App's PR report: with a baseline, the run's charts drawn again with the
 * baseline's curves next to the candidate's; without one, the plots the run drew itself. They are
 * committed to the `modelship-assets` branch and linked from the repository. No plots, or a branch
 * that cannot be written, leaves the report with its Mermaid charts (`warning` says why).
 */
export async function publishReportPlots(input: {
  env: BotEnv;
  pr: number;
  candidate: { run: RunDir; label: string };
  baseline?: { run: RunDir; label: string };
}): Promise<ReportPlots> {
  const { env, candidate } = input;
  const drawn = input.baseline ? await drawWithBaseline(env, candidate, input.baseline) : undefined;
  const dir = drawn?.plots ? drawn.dir : candidate.run.dir;
  const plots = drawn?.plots ?? (await readRunPlots(candidate.run.dir));
  if (drawn?.warning) env.log.warn({ pr: input.pr }, drawn.warning);
  if (plots.length === 0) return {};
  const runId = candidate.run.record.runId;
  const published = await env.gh.publishPlotAssets({
    folder: assetsFolder(input.pr, runId),
    dir,
    plots: plots.map((p) => ({ title: p.title, png: p.png, svg: p.svg })),
    message: `Report images for pull request #${input.pr} (run ${runId})`,
  });
  return published.ok
    ? { plots: published.images }
    : { warning: `${published.message} [${published.reason}]` };
}

/** Draws candidate and baseline together into a scratch directory; undefined plots when it cannot. */
async function drawWithBaseline(
  env: BotEnv,
  candidate: { run: RunDir; label: string },
  baseline: { run: RunDir; label: string },
): Promise<{ dir: string; plots?: WrittenPlot[]; warning?: string }> {
  const dir = join(await env.scratchDir(), "report-plots");
  try {
    // Loaded on first use: Vega and Vega-Lite take seconds to import, which the App's start need not pay.
    const { writePlots } = await import("../adapters/plots/write-run-plots.ts");
    const plots = await writePlots(dir, {
      candidate: await readPlotInput(candidate.run.dir, candidate.label),
      baseline: await readPlotInput(baseline.run.dir, baseline.label),
    });
    return { dir, plots };
  } catch (err) {
    // The run's own plots (candidate only) are still worth showing.
    return { dir, warning: `plots with the baseline were not drawn: ${(err as Error).message}` };
  }
}
