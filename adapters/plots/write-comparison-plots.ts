import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { COMPARISON_FILE, type ComparisonRecord } from "./comparison-plots.ts";
import { readPlotInput, type WrittenPlot } from "./read-run-plots.ts";
import { writePlots } from "./write-run-plots.ts";

/**
 * Draws the candidate's charts with the baseline's next to them into `<out>/plots/` and records
 * both runs in `<out>/comparison.json`: the folder the training workflow's report job uploads
 * (`<artifactName>-plots`) and the App links.
 */
export async function writeComparisonPlots(opts: {
  out: string;
  candidateDir: string;
  baselineDir: string;
  labels?: { candidate?: string; baseline?: string };
}): Promise<{ record: ComparisonRecord; plots: WrittenPlot[] }> {
  const candidate = await readPlotInput(opts.candidateDir, opts.labels?.candidate);
  const baseline = await readPlotInput(opts.baselineDir, opts.labels?.baseline);
  const plots = await writePlots(opts.out, { candidate: candidate.input, baseline: baseline.input });
  const record: ComparisonRecord = {
    candidate: { runId: candidate.runId, label: candidate.input.label },
    baseline: { runId: baseline.runId, label: baseline.input.label },
  };
  await writeFile(join(opts.out, COMPARISON_FILE), `${JSON.stringify(record, null, 2)}\n`);
  return { record, plots };
}
