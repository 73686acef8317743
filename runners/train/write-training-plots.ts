import { writePlots } from "../../adapters/plots/write-run-plots.ts";
import type { Explanation } from "../../core/explain/permutation-importance.ts";
import type { History } from "../../core/run/run-record.ts";
import type { ValidationPredictions } from "../../core/run/validation-predictions.ts";

/**
 * Draws the run's plots into its staging directory (so they move with it) and returns the PNGs for
 * the model card. Plots are a report, not the model: a failure to draw is a warning.
 */
export async function writeTrainingPlots(opts: {
  staging: string;
  runId: string;
  history?: History;
  predictions?: ValidationPredictions;
  explanation?: Explanation;
  log: (line: string) => void;
}): Promise<Array<{ title: string; path: string }>> {
  try {
    const written = await writePlots(opts.staging, {
      candidate: {
        label: opts.runId,
        ...(opts.history ? { history: opts.history } : {}),
        ...(opts.predictions ? { predictions: opts.predictions } : {}),
        ...(opts.explanation ? { explanation: opts.explanation } : {}),
      },
    });
    return written.map((w) => ({ title: w.title, path: w.png }));
  } catch (err) {
    opts.log(`warning: plots were not drawn: ${(err as Error).message}`);
    return [];
  }
}
