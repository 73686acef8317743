import type { History } from "../../run/run-record.ts";
import { CHART_BASE, type Chart, type RunLabel } from "./chart.ts";

type Row = { epoch: number; value: number; series: string; run: string };

function rows(
  history: History | undefined,
  run: string,
  keep: (name: string) => boolean,
  log: boolean,
): Row[] {
  const out: Row[] = [];
  for (const e of history?.epochs ?? []) {
    for (const [series, value] of Object.entries(e)) {
      if (series === "epoch" || !keep(series) || !Number.isFinite(value)) continue;
      if (log && value <= 0) continue;
      out.push({ epoch: e.epoch, value, series, run });
    }
  }
  return out;
}

const isLoss = (name: string) => /loss/i.test(name);

/**
 * Learning curves: one chart of the losses (log scale when `log`, as DVC users ask for) and one of
 * the other per-epoch metrics; a baseline's curves are dashed.
 */
export function learningCurveCharts(opts: {
  candidate: History | undefined;
  baseline?: History | undefined;
  labels: RunLabel;
  log?: boolean;
}): Chart[] {
  const charts: Chart[] = [];
  for (const [id, title, keep, log] of [
    ["learning-curves-loss", "Loss per epoch", isLoss, opts.log ?? false],
    ["learning-curves-metrics", "Metrics per epoch", (n: string) => !isLoss(n), false],
  ] as const) {
    const values = [
      ...rows(opts.candidate, opts.labels.candidate, keep, log),
      ...(opts.labels.baseline ? rows(opts.baseline, opts.labels.baseline, keep, log) : []),
    ];
    if (values.length === 0) continue;
    charts.push({
      id,
      title,
      spec: {
        ...CHART_BASE,
        title: log ? `${title} (log scale)` : title,
        width: 480,
        height: 260,
        data: { values },
        mark: { type: "line", point: values.length <= 200 },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
          y: {
            field: "value",
            type: "quantitative",
            title: null,
            scale: log ? { type: "log" } : { zero: false },
          },
          color: { field: "series", type: "nominal", title: null },
          strokeDash: { field: "run", type: "nominal", title: "run", sort: [opts.labels.candidate] },
        },
      },
    });
  }
  return charts;
}
