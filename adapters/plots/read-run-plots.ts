import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { PlotInput } from "../../core/report/charts/run-charts.ts";
import {
  VALIDATION_PREDICTIONS_FILE,
  ValidationPredictionsSchema,
} from "../../core/run/validation-predictions.ts";
import { readExplanation } from "../runs/read-explanation.ts";
import { readRunDir } from "../run-dir/read-run-dir.ts";

/** Where a run directory keeps its plots. */
export const PLOTS_DIR = "plots";

/** `plots/index.json`: the charts drawn, in order, with their titles. */
export const PLOTS_INDEX = `${PLOTS_DIR}/index.json`;

const WrittenPlotsSchema = z.array(
  z.object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    title: z.string(),
    svg: z.string().regex(/^plots\/[a-z0-9-]+\.svg$/),
    png: z.string().regex(/^plots\/[a-z0-9-]+\.png$/),
  }),
);

/** A written plot: paths relative to the run directory. */
export type WrittenPlot = { id: string; title: string; svg: string; png: string };

/** The plots a run directory holds (from plots/index.json), or [] when it has none. */
export async function readRunPlots(dir: string): Promise<WrittenPlot[]> {
  const text = await readFile(join(dir, PLOTS_INDEX), "utf8").catch(() => null);
  const parsed = text === null ? null : WrittenPlotsSchema.safeParse(parseOrNull(text));
  return parsed?.success ? parsed.data : [];
}

/**
 * What a run directory on disk offers to plot (history, validation predictions, explanation),
 * labelled `label` or its run id, and the run id.
 */
export async function readPlotInput(
  dir: string,
  label?: string,
): Promise<{ runId: string; input: PlotInput }> {
  const run = await readRunDir(dir);
  const text = await readFile(join(dir, VALIDATION_PREDICTIONS_FILE), "utf8").catch(() => null);
  const parsed = text === null ? undefined : ValidationPredictionsSchema.safeParse(parseOrNull(text));
  const explanation = await readExplanation(dir);
  const input: PlotInput = {
    label: label ?? run.record.runId,
    ...(run.history ? { history: run.history } : {}),
    ...(parsed?.success ? { predictions: parsed.data } : {}),
    ...(explanation ? { explanation } : {}),
  };
  return { runId: run.record.runId, input };
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A damaged file only costs the prediction plots; the learning curves are still drawn.
    return null;
  }
}
