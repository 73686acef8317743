import type { ColumnDrift } from "../monitoring/compare-column.ts";
import type { DriftReport } from "../monitoring/detect-drift.ts";
import { isPValueTest } from "../monitoring/drift-defaults.ts";
import { stripControl } from "./escape-markdown.ts";
import { formatNumber } from "./format-number.ts";

/** The drift report for a terminal: verdict line, then one aligned row per feature. */
export function renderDriftText(r: DriftReport, subject: { current: string; reference: string }): string {
  const head = [
    `current:   ${stripControl(subject.current)} (${r.rows.current} rows)`,
    `reference: ${stripControl(subject.reference)} (${r.rows.reference} rows)`,
  ];
  if (r.status === "not-enough-data") {
    return `${[...head, `not enough data: ${r.rows.current} current rows, drift needs at least ${r.minRows}`].join("\n")}\n`;
  }
  const all = [
    ...r.features,
    ...(r.prediction ? [{ ...r.prediction, name: `${r.prediction.name} (prediction)` }] : []),
  ];
  const table = [["feature", "test", "statistic", "p-value", "threshold", "drift"], ...all.map(cells)];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((t) => t[c]!.length)));
  const drifted = r.features.filter((f) => f.drifted).length;
  return `${[
    ...head,
    "",
    ...table.map((t) =>
      t
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    ),
    "",
    `${r.drift ? "DRIFT" : "no drift"}: ${drifted} of ${r.features.length} features drifted (share ${formatNumber(r.share)}, dataset drift at ≥ ${formatNumber(r.datasetShare)})`,
  ].join("\n")}\n`;
}

function cells(f: ColumnDrift): string[] {
  return [
    stripControl(f.name),
    f.test,
    f.statistic === null ? "no values" : formatNumber(f.statistic),
    f.pValue === null ? "-" : formatNumber(f.pValue),
    `${isPValueTest(f.test) ? (f.test === "ks" ? "p<=" : "p<") : ">="}${formatNumber(f.threshold)}`,
    f.drifted ? "DRIFT" : "ok",
  ];
}
