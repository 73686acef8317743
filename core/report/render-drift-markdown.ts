import type { ColumnDrift } from "../monitoring/compare-column.ts";
import type { DriftReport } from "../monitoring/detect-drift.ts";
import { isPValueTest } from "../monitoring/drift-defaults.ts";
import { escapeCommentText, escapeMarkdown, truncateText } from "./escape-markdown.ts";
import { formatNumber } from "./format-number.ts";

/** The hidden marker of the one drift issue per model and environment. */
export function driftIssueMarker(modelName: string, environment: string): string {
  return `<!-- modelship:drift model=${escapeCommentText(modelName, { maxLength: 100 })} environment=${escapeCommentText(environment, { maxLength: 100 })} -->`;
}

const TEST_NAMES: Record<string, string> = {
  ks: "Kolmogorov–Smirnov",
  chisquare: "chi-squared",
  z: "z-test (proportions)",
  wasserstein: "Wasserstein (normed)",
  jensenshannon: "Jensen–Shannon",
  psi: "PSI",
};

/** Where the current rows came from and what they were compared with, for the report's first lines. */
export type DriftSubject = {
  model: string;
  /** e.g. "production (prediction log)" or "data/today.csv". */
  current: string;
  /** e.g. "v1.2.0" or a run directory. */
  reference: string;
};

/** The drift report for GitHub: verdict, one table of every feature, and a chart per drifted feature. */
export function renderDriftMarkdown(r: DriftReport, subject: DriftSubject): string {
  const model = escapeMarkdown(subject.model, { maxLength: 100 });
  const lines = [`## Drift: ${model}`, "", `${verdict(r)}`, ""];
  lines.push(
    `Current: ${escapeMarkdown(subject.current)} (${r.rows.current} rows) · reference: ${escapeMarkdown(subject.reference)} (${r.rows.reference} training rows)`,
    "",
  );
  if (r.status === "not-enough-data") return `${lines.join("\n").trimEnd()}\n`;
  lines.push(
    "| Feature | Test | Statistic | p-value | Threshold | Drift |",
    "| --- | --- | --- | --- | --- | --- |",
    ...r.features.map(row),
  );
  if (r.prediction) lines.push(row({ ...r.prediction, name: `${r.prediction.name} (prediction)` }));
  const charted = [...r.features, ...(r.prediction ? [r.prediction] : [])].filter((f) => f.drifted);
  if (charted.length > 0) {
    lines.push(
      "",
      "### Reference vs current",
      "",
      "Bars: share of reference rows per bin; line: share of current rows.",
    );
    for (const f of charted)
      lines.push("", `#### ${escapeMarkdown(f.name, { maxLength: 100 })}`, "", chart(f));
  }
  lines.push(
    "",
    `<sub>Tests and thresholds are Evidently's defaults: p-value tests up to 1,000 reference rows, distances above; the dataset drifts when at least ${formatNumber(r.datasetShare * 100)}% of features do; fewer than ${r.minRows} current rows is not enough data.</sub>`,
  );
  return `${lines.join("\n")}\n`;
}

function verdict(r: DriftReport): string {
  const share = `${r.features.filter((f) => f.drifted).length} of ${r.features.length} features drifted (${formatNumber(Math.round(r.share * 1000) / 10)}%)`;
  if (r.status === "not-enough-data")
    return `⏸️ **Not enough data**: ${r.rows.current} current rows, at least ${r.minRows} are needed before drift is judged.`;
  if (r.drift) return `⚠️ **Dataset drift**: ${share}.`;
  return `✅ **No dataset drift**: ${share}.`;
}

function row(f: ColumnDrift): string {
  const stat = f.statistic === null ? "no values" : formatNumber(f.statistic);
  const p = f.pValue === null ? "—" : formatNumber(f.pValue);
  const rule = `${isPValueTest(f.test) ? (f.test === "ks" ? "p ≤ " : "p < ") : "≥ "}${formatNumber(f.threshold)}`;
  return `| ${escapeMarkdown(f.name, { maxLength: 100 })} | ${TEST_NAMES[f.test] ?? f.test} | ${stat} | ${p} | ${rule} | ${f.drifted ? "⚠️ drifted" : "no"} |`;
}

function chart(f: ColumnDrift): string {
  const d = f.distribution;
  const top = Math.max(0.05, ...d.reference, ...d.current);
  return [
    "```mermaid",
    "xychart-beta",
    `    title ${mermaidText(`${f.name}: share of rows`)}`,
    `    x-axis [${d.bins.map(mermaidText).join(", ")}]`,
    `    y-axis "share of rows" 0 --> ${chartNumber(Math.min(1, top * 1.1))}`,
    `    bar [${d.reference.map(chartNumber).join(", ")}]`,
    `    line [${d.current.map(chartNumber).join(", ")}]`,
    "```",
  ].join("\n");
}

function chartNumber(n: number): string {
  return String(Number(n.toPrecision(4)));
}

/** Mermaid strings cannot be escaped reliably, so anything unusual becomes "_". */
function mermaidText(s: string): string {
  return `"${truncateText(s, 40).replace(/[^A-Za-z0-9 _.:/()+<>–-]/g, "_")}"`;
}
