import type { Explanation } from "../../explain/permutation-importance.ts";
import type { History } from "../../run/run-record.ts";
import type { ValidationPredictions } from "../../run/validation-predictions.ts";
import { CHART_BASE, type Chart } from "./chart.ts";
import { classificationCharts } from "./classification-charts.ts";
import { learningCurveCharts } from "./learning-curves-spec.ts";
import { regressionCharts } from "./regression-charts.ts";

/** What a run (and optionally its baseline) offers to plot. */
export type PlotInput = {
  label: string;
  history?: History;
  predictions?: ValidationPredictions;
  explanation?: Explanation;
};

/**
 * Every chart a run supports: learning curves, then the task's charts on the validation
 * predictions, then feature importance. A baseline of the same task is drawn next to the candidate.
 */
export function runCharts(opts: { candidate: PlotInput; baseline?: PlotInput; logLoss?: boolean }): Chart[] {
  const { candidate: c, baseline: b } = opts;
  const labels = { candidate: c.label, ...(b ? { baseline: b.label } : {}) };
  const charts = learningCurveCharts({
    candidate: c.history,
    baseline: b?.history,
    labels,
    log: opts.logLoss ?? true,
  });
  const p = c.predictions;
  if (p?.task === "classification" && p.truth.length > 0) {
    const base =
      b?.predictions?.task === "classification" && sameLabels(b.predictions.labels, p.labels)
        ? b.predictions
        : undefined;
    charts.push(...classificationCharts({ candidate: p, ...(base ? { baseline: base } : {}), labels }));
  } else if (p?.task === "regression" && p.truth.length > 0) {
    const base = b?.predictions?.task === "regression" ? b.predictions : undefined;
    charts.push(...regressionCharts({ candidate: p, ...(base ? { baseline: base } : {}), labels }));
  }
  if (c.explanation && c.explanation.features.length > 0) charts.push(importanceChart(c.explanation));
  return charts;
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

function importanceChart(e: Explanation): Chart {
  const values = e.features.slice(0, 30).map((f) => ({
    feature: f.name,
    importance: f.importance,
    lo: f.importance - f.std,
    hi: f.importance + f.std,
  }));
  return {
    id: "feature-importance",
    title: "Permutation importance",
    spec: {
      ...CHART_BASE,
      title: `Permutation importance: drop in ${e.metric} (mean ± std over ${e.repeats} shuffles)`,
      width: 420,
      height: Math.max(80, 22 * values.length),
      data: { values },
      encoding: { y: { field: "feature", type: "nominal", sort: "-x", title: null } },
      layer: [
        {
          mark: "bar",
          encoding: { x: { field: "importance", type: "quantitative", title: `drop in ${e.metric}` } },
        },
        {
          mark: { type: "rule", color: "#333" },
          encoding: { x: { field: "lo", type: "quantitative" }, x2: { field: "hi" } },
        },
      ],
    },
  };
}
