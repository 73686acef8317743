import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCharts, type PlotInput } from "../../core/report/charts/run-charts.ts";
import { PLOTS_DIR, PLOTS_INDEX, type WrittenPlot } from "./read-run-plots.ts";
import { renderChart } from "./render-chart.ts";

/** Renders the run's charts to `<dir>/plots/<id>.svg` and `.png`; returns what was written. */
export async function writePlots(
  dir: string,
  input: { candidate: PlotInput; baseline?: PlotInput; logLoss?: boolean },
): Promise<WrittenPlot[]> {
  const charts = runCharts(input);
  if (charts.length === 0) return [];
  await mkdir(join(dir, PLOTS_DIR), { recursive: true });
  const written: WrittenPlot[] = [];
  for (const chart of charts) {
    const r = await renderChart(chart);
    const svg = `${PLOTS_DIR}/${chart.id}.svg`;
    const png = `${PLOTS_DIR}/${chart.id}.png`;
    await writeFile(join(dir, svg), r.svg);
    await writeFile(join(dir, png), r.png);
    written.push({ id: chart.id, title: chart.title, svg, png });
  }
  await writeFile(join(dir, PLOTS_INDEX), `${JSON.stringify(written, null, 2)}\n`);
  return written;
}
