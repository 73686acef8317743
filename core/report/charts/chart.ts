import type { TopLevelSpec } from "vega-lite";

/** A plot as data: a Vega-Lite spec, rendered to SVG/PNG by adapters/plots. `id` names its files. */
export type Chart = { id: string; title: string; spec: TopLevelSpec };

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Shared look: white background (PNG in dark-mode GitHub stays readable), fixed size. */
export const CHART_BASE = {
  $schema: VEGA_LITE_SCHEMA,
  background: "white",
  padding: 8,
  config: { font: "DejaVu Sans, Arial, sans-serif", view: { stroke: "#ddd" } },
} as const;

/** Which run a data row belongs to, when a baseline is drawn next to the candidate. */
export type RunLabel = { candidate: string; baseline?: string };
