import { assetsFolder, publishPlotAssets } from "../adapters/github/publish-plot-assets.ts";
import { storeRunRecord } from "../adapters/github/store-run-record.ts";
import { readRunPlots } from "../adapters/plots/read-run-plots.ts";
import type { RenderMarkdownOptions } from "../core/report/render-markdown.ts";
import { requireRepository, type CommandContext } from "./command-context.ts";
import { octokitFor } from "./github-services.ts";

/**
 * The run's plots as images in the pull-request comment: committed to the `modelship-assets`
 * branch and linked from the repository. Without plots, or when the branch cannot be written, the
 * report keeps its Mermaid charts and `warning` says why.
 */
export async function publishReportPlots(
  ctx: CommandContext,
  opts: { runDir: string; runId: string; pr: number },
): Promise<{ plots?: RenderMarkdownOptions["plots"]; warning?: string }> {
  const plots = await readRunPlots(opts.runDir);
  if (plots.length === 0) return {};
  const { owner, repo } = requireRepository(ctx);
  const published = await publishPlotAssets(
    octokitFor(ctx, "commit the report's images to the modelship-assets branch"),
    {
      owner,
      repo,
      serverUrl: ctx.action.serverUrl,
      folder: assetsFolder(opts.pr, opts.runId),
      runDir: opts.runDir,
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
