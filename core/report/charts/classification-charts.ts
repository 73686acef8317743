import type { ValidationPredictions } from "../../run/validation-predictions.ts";
import { formatNumber } from "../format-number.ts";
import { CHART_BASE, type Chart, type RunLabel } from "./chart.ts";
import { precisionRecallCurve, rocCurve } from "./classification-curves.ts";

type Classified = Extract<ValidationPredictions, { task: "classification" }>;
type Runs = Array<{ run: string; p: Classified }>;

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
  return best;
}

/** Counts[actual][predicted] over the rows. */
export function confusionCounts(p: Classified): number[][] {
  const k = p.labels.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  p.truth.forEach((t, i) => counts[t]![argmax(p.probabilities[i]!)]!++);
  return counts;
}

/** Per-class precision and recall (0 when undefined, as scikit-learn's zero_division=0). */
export function classMetrics(p: Classified): Array<{ label: string; precision: number; recall: number }> {
  const c = confusionCounts(p);
  return p.labels.map((label, k) => {
    const tp = c[k]![k]!;
    const predicted = c.reduce((s, row) => s + row[k]!, 0);
    const actual = c[k]!.reduce((s, v) => s + v, 0);
    return { label, precision: predicted ? tp / predicted : 0, recall: actual ? tp / actual : 0 };
  });
}

function runs(candidate: Classified, baseline: Classified | undefined, labels: RunLabel): Runs {
  return [
    { run: labels.candidate, p: candidate },
    ...(baseline && labels.baseline ? [{ run: labels.baseline, p: baseline }] : []),
  ];
}

/** Confusion matrix, per-class precision/recall, ROC and PR curves (one-vs-rest) with their areas. */
export function classificationCharts(opts: {
  candidate: Classified;
  baseline?: Classified;
  labels: RunLabel;
}): Chart[] {
  const all = runs(opts.candidate, opts.baseline, opts.labels);
  const order = opts.candidate.labels;
  const cells = all.flatMap(({ run, p }) =>
    confusionCounts(p).flatMap((row, a) =>
      row.map((count, b) => ({ run, actual: p.labels[a]!, predicted: p.labels[b]!, count })),
    ),
  );
  const confusion: Chart = {
    id: "confusion-matrix",
    title: "Confusion matrix",
    spec: {
      ...CHART_BASE,
      title: "Confusion matrix (validation rows)",
      data: { values: cells },
      facet: { column: { field: "run", type: "nominal", title: null, sort: [opts.labels.candidate] } },
      spec: {
        width: Math.max(160, 48 * order.length),
        height: Math.max(160, 48 * order.length),
        encoding: {
          x: { field: "predicted", type: "nominal", sort: order, title: "predicted" },
          y: { field: "actual", type: "nominal", sort: order, title: "actual" },
        },
        layer: [
          {
            mark: "rect",
            encoding: {
              color: { field: "count", type: "quantitative", scale: { scheme: "blues" }, legend: null },
            },
          },
          {
            mark: { type: "text", fontSize: 13 },
            encoding: { text: { field: "count", type: "quantitative" } },
          },
        ],
      },
    },
  };
  const perClass: Chart = {
    id: "class-metrics",
    title: "Precision and recall per class",
    spec: {
      ...CHART_BASE,
      title: "Precision and recall per class",
      data: {
        values: all.flatMap(({ run, p }) =>
          classMetrics(p).flatMap((m) => [
            { run, class: m.label, metric: "precision", value: m.precision },
            { run, class: m.label, metric: "recall", value: m.recall },
          ]),
        ),
      },
      facet: { column: { field: "run", type: "nominal", title: null, sort: [opts.labels.candidate] } },
      spec: {
        width: Math.max(160, 60 * order.length),
        height: 200,
        mark: "bar",
        encoding: {
          x: { field: "class", type: "nominal", sort: order, title: null },
          xOffset: { field: "metric", type: "nominal" },
          y: { field: "value", type: "quantitative", scale: { domain: [0, 1] }, title: null },
          color: { field: "metric", type: "nominal", title: null },
        },
      },
    },
  };
  return [confusion, perClass, curveChart(all, "roc"), curveChart(all, "pr")];
}

function curveChart(all: Runs, kind: "roc" | "pr"): Chart {
  const values = all.flatMap(({ run, p }) => {
    // Binary: the second label is the positive class; more classes: one curve per class (one-vs-rest).
    const classes = p.labels.length === 2 ? [1] : p.labels.map((_, k) => k);
    return classes.flatMap((k) => {
      const scores = p.probabilities.map((row) => row[k]!);
      const positive = p.truth.map((t) => t === k);
      const curve = kind === "roc" ? rocCurve(scores, positive) : precisionRecallCurve(scores, positive);
      const curveName = `${p.labels[k]} (${kind === "roc" ? "AUC" : "AP"} ${formatNumber(curve.area)})`;
      return curve.points.map((pt, i) => ({
        run,
        curve: all.length > 1 ? `${run}: ${curveName}` : curveName,
        i,
        x: pt.x,
        y: pt.y,
      }));
    });
  });
  const roc = kind === "roc";
  return {
    id: roc ? "roc-curve" : "pr-curve",
    title: roc ? "ROC curves" : "Precision-recall curves",
    spec: {
      ...CHART_BASE,
      title: roc
        ? "ROC curve (one-vs-rest), area under the curve"
        : "Precision-recall curve, average precision",
      width: 320,
      height: 320,
      data: { values },
      mark: { type: "line", interpolate: roc ? "linear" : "step-before" },
      encoding: {
        x: {
          field: "x",
          type: "quantitative",
          title: roc ? "false positive rate" : "recall",
          scale: { domain: [0, 1] },
        },
        y: {
          field: "y",
          type: "quantitative",
          title: roc ? "true positive rate" : "precision",
          scale: { domain: [0, 1] },
        },
        color: { field: "curve", type: "nominal", title: null },
        strokeDash: { field: "run", type: "nominal", legend: null },
        order: { field: "i", type: "quantitative" },
      },
    },
  };
}
