import { readRunPlots } from "../../adapters/plots/read-run-plots.ts";
import { readExplanation } from "../../adapters/runs/read-explanation.ts";
import type { RenderMarkdownOptions } from "../../core/report/render-markdown.ts";

/** report.md sits in the run directory: it embeds the run's plots by relative path, and its explanation. */
export async function runReportExtras(
  runDir: string,
): Promise<Pick<RenderMarkdownOptions, "plots" | "explanation">> {
  const plots = (await readRunPlots(runDir)).map((p) => ({ title: p.title, url: p.png }));
  const explanation = await readExplanation(runDir);
  return { ...(plots.length > 0 ? { plots } : {}), ...(explanation ? { explanation } : {}) };
}
