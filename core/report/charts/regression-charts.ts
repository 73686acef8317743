import type { ValidationPredictions } from "../../run/validation-predictions.ts";
import { CHART_BASE, type Chart, type RunLabel } from "./chart.ts";

type Regressed = Extract<ValidationPredictions, { task: "regression" }>;

/** Residuals against the prediction, and predicted against actual with the y = x line. */
export function regressionCharts(opts: {
  candidate: Regressed;
  baseline?: Regressed;
  labels: RunLabel;
}): Chart[] {
  const all = [
    { run: opts.labels.candidate, p: opts.candidate },
    ...(opts.baseline && opts.labels.baseline ? [{ run: opts.labels.baseline, p: opts.baseline }] : []),
  ];
  const points = all.flatMap(({ run, p }) =>
    p.truth.map((actual, i) => ({
      run,
      actual,
      predicted: p.predictions[i]!,
      residual: actual - p.predictions[i]!,
    })),
  );
  const values = points.flatMap((r) => [r.actual, r.predicted]);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const runColor = { field: "run", type: "nominal", title: "run", sort: [opts.labels.candidate] } as const;
  return [
    {
      id: "residuals",
      title: "Residuals",
      spec: {
        ...CHART_BASE,
        title: "Residuals (actual − predicted) on the validation rows",
        width: 420,
        height: 260,
        layer: [
          {
            data: { values: points },
            mark: { type: "point", filled: true, opacity: 0.6 },
            encoding: {
              x: { field: "predicted", type: "quantitative", scale: { zero: false } },
              y: { field: "residual", type: "quantitative" },
              color: runColor,
            },
          },
          {
            data: { values: [{ zero: 0 }] },
            mark: { type: "rule", color: "#888" },
            encoding: { y: { field: "zero", type: "quantitative" } },
          },
        ],
      },
    },
    {
      id: "predicted-vs-actual",
      title: "Predicted against actual",
      spec: {
        ...CHART_BASE,
        title: "Predicted against actual (perfect predictions lie on the line)",
        width: 320,
        height: 320,
        layer: [
          {
            data: {
              values: [
                { a: lo, b: lo },
                { a: hi, b: hi },
              ],
            },
            mark: { type: "line", color: "#888", strokeDash: [4, 4] },
            encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } },
          },
          {
            data: { values: points },
            mark: { type: "point", filled: true, opacity: 0.6 },
            encoding: {
              x: { field: "actual", type: "quantitative", scale: { zero: false } },
              y: { field: "predicted", type: "quantitative", scale: { zero: false } },
              color: runColor,
            },
          },
        ],
      },
    },
  ];
}
