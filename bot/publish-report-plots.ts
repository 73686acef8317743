import { join } from "node:path";
import { assetsFolder } from "../adapters/github/publish-plot-assets.ts";
import {
  plotsArtifactName,
  readComparisonPlots,
  type ReadComparisonPlots,
} from "../adapters/plots/comparison-plots.ts";
import { readRunPlots, type WrittenPlot } from "../adapters/plots/read-run-plots.ts";
import type { RunDir } from "../adapters/run-dir/read-run-dir.ts";
import type { RenderMarkdownOptions } from "../core/report/render-markdown.ts";
import type { BotEnv } from "./bot-event.ts";

export type ReportPlots = {
  plots?: RenderMarkdownOptions["plots"];
  /** Why the report keeps its Mermaid charts (no image could be published). */
  warning?: string;
  /** Why the images show the candidate alone although there is a baseline. */
  note?: string;
};

/**
 * The images of the App's PR report. With a baseline: the charts the training workflow's report
 * job drew with the baseline's next to the candidate's (artifact `<artifactName>-plots`), used only
 * when they name this candidate and this baseline; otherwise, or without a baseline, the plots the
 * run drew itself. Nothing is drawn here, so the webhook delivery stays short. They are committed to
 * the `modelship-assets` branch and linked from the repository; no plots, or a branch that cannot
 * be written, leaves the report with its Mermaid charts (`warning` says why).
 */
export async function publishReportPlots(input: {
  env: BotEnv;
  artifactName: string;
  runId: number;
  pr: number;
  candidate: RunDir;
  baseline?: RunDir;
}): Promise<ReportPlots> {
  const { env, candidate } = input;
  const drawn = input.baseline ? await runnerPlots(input, input.baseline) : undefined;
  const found = drawn && "dir" in drawn ? drawn : undefined;
  const note = drawn && "note" in drawn ? drawn.note : undefined;
  if (note) env.log.warn({ pr: input.pr }, `report images without the baseline: ${note}`);
  const plots = found?.plots ?? (await readRunPlots(candidate.dir));
  if (plots.length === 0) return {};
  const runId = candidate.record.runId;
  const published = await env.gh.publishPlotAssets({
    folder: assetsFolder(input.pr, runId),
    dir: found?.dir ?? candidate.dir,
    plots: plots.map((p) => ({ title: p.title, png: p.png, svg: p.svg })),
    message: `Report images for pull request #${input.pr} (run ${runId})`,
  });
  if (!published.ok) return { warning: `${published.message} [${published.reason}]` };
  return { plots: published.images, ...(note ? { note } : {}) };
}

/** The report job's comparison plots of this run, when they compare this candidate with this baseline. */
async function runnerPlots(
  input: { env: BotEnv; artifactName: string; runId: number; candidate: RunDir },
  baseline: RunDir,
): Promise<{ dir: string; plots: WrittenPlot[] } | { note: string }> {
  const name = plotsArtifactName(input.artifactName);
  // Read inside the download's check, which keeps the folder only when it is usable.
  let read = undefined as ReadComparisonPlots | undefined;
  const download = await input.env.gh.downloadArtifactFiles(
    input.runId,
    name,
    join(await input.env.scratchDir(), "report-plots"),
    async (dir) => {
      read = await readComparisonPlots(dir);
      return read.ok ? undefined : read.error;
    },
  );
  if (!download.ok) {
    return download.reason === "artifact-missing"
      ? { note: `the run uploaded no ${name} artifact (the training workflow's report job draws it)` }
      : { note: `${download.message} [${download.reason}]` };
  }
  if (!read?.ok) return { note: read?.error ?? `${name} was not read` };
  const want = { candidate: input.candidate.record.runId, baseline: baseline.record.runId };
  const got = { candidate: read.record.candidate.runId, baseline: read.record.baseline.runId };
  if (got.candidate !== want.candidate || got.baseline !== want.baseline) {
    return {
      note: `${name} compares run ${got.candidate} with ${got.baseline}, not run ${want.candidate} with ${want.baseline}`,
    };
  }
  return { dir: download.dir, plots: read.plots };
}
