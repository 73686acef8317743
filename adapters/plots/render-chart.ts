import { parse as parseVega, View } from "vega";
import { compile } from "vega-lite";
import type { Chart } from "../../core/report/charts/chart.ts";

/** A chart as SVG text and PNG bytes; PNG at `scale` × the SVG's size (2: sharp on high-density screens). */
export type RenderedChart = {
  id: string;
  title: string;
  svg: string;
  png: Uint8Array;
  width: number;
  height: number;
};

/**
 * Renders a Vega-Lite chart without a browser: vega-lite compiles it to Vega, Vega's headless
 * view draws SVG, and resvg rasterises the SVG to PNG with the system fonts.
 */
export async function renderChart(chart: Chart, opts: { scale?: number } = {}): Promise<RenderedChart> {
  const view = new View(parseVega(compile(chart.spec).spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    // Loaded here, not at import: resvg's binary is an optional per-platform package, and an
    // install without it (the Action's runtime omits optional packages) must still train.
    const { Resvg } = await import("@resvg/resvg-js");
    const image = new Resvg(svg, {
      fitTo: { mode: "zoom", value: opts.scale ?? 2 },
      font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
    }).render();
    return {
      id: chart.id,
      title: chart.title,
      svg,
      png: image.asPng(),
      width: image.width,
      height: image.height,
    };
  } finally {
    view.finalize();
  }
}
