import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readRunPlots, type WrittenPlot } from "./read-run-plots.ts";

/** `comparison.json`: which two runs a folder of comparison plots was drawn from, beside `plots/`. */
export const COMPARISON_FILE = "comparison.json";

const RunRefSchema = z.object({ runId: z.string().min(1), label: z.string() });
export const ComparisonRecordSchema = z.object({ candidate: RunRefSchema, baseline: RunRefSchema });

/** The runs a comparison was drawn from: run ids (to match) and the labels its legends show. */
export type ComparisonRecord = z.infer<typeof ComparisonRecordSchema>;

/** A folder of comparison plots, read back; `error` says why it cannot be used. */
export type ReadComparisonPlots =
  { ok: true; record: ComparisonRecord; plots: WrittenPlot[] } | { ok: false; error: string };

/** Reads what writeComparisonPlots wrote, checked against its schema and with at least one plot. */
export async function readComparisonPlots(dir: string): Promise<ReadComparisonPlots> {
  const text = await readFile(join(dir, COMPARISON_FILE), "utf8").catch(() => null);
  if (text === null) return { ok: false, error: `${COMPARISON_FILE} is missing` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: `${COMPARISON_FILE} is not JSON` };
  }
  const parsed = ComparisonRecordSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `${COMPARISON_FILE} does not name the two runs` };
  const plots = await readRunPlots(dir);
  if (plots.length === 0) return { ok: false, error: "plots/index.json lists no plots" };
  return { ok: true, record: parsed.data, plots };
}

/** The training workflow's artifact of comparison plots: `<artifactName>-plots`, one per workflow run. */
export function plotsArtifactName(artifactName: string): string {
  return `${artifactName}-plots`;
}
