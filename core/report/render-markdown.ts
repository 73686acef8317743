import type { Comparison, ComparisonReason, MetricRow, Verdict } from "../compare/compare-runs.ts";
import { formatParamValue } from "../compare/flatten-params.ts";
import type { MetricGate } from "../config/schema.ts";
import { ModelshipError } from "../errors.ts";
import type { History } from "../run/run-record.ts";
import { escapeCode, escapeCommentText, escapeMarkdown, safeUrl, truncateText } from "./escape-markdown.ts";
import { formatDelta, formatNumber, formatPercent } from "./format-number.ts";
import { renderValidationMarkdown } from "./render-validation-markdown.ts";
import { renderDataMarkdown, type RunData } from "./render-data-markdown.ts";
import type { ValidationReport } from "../data/expectations/validation-report.ts";
import type { Explanation } from "../explain/permutation-importance.ts";
import { renderExplanationMarkdown } from "../explain/render-explanation.ts";

/** GitHub rejects issue and pull-request comments longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export type RenderMarkdownOptions = {
  modelName: string;
  /** Hidden marker comment that identifies the report; defaults to {@link reportMarker}. */
  marker?: string;
  /** Link to the workflow run that produced the candidate (overrides the candidate's runUrl). */
  runUrl?: string;
  /** Heading text; defaults to "Modelship · <model>". */
  title?: string;
  /** Largest output in characters; defaults to GitHub's comment limit. */
  maxLength?: number;
  /** The candidate's data validation (its run's validation.json), shown as a collapsed table. */
  validation?: ValidationReport;
  /**
   * The `data` blocks of the candidate's and the baseline's run records: the report's data section
   * shows their data versions, row counts and schema changes (with the validation inside).
   */
  data?: { candidate: RunData; baseline?: RunData };
  /**
   * Rendered plots to show instead of the Mermaid learning curves: https URLs (PR comments link the
   * images committed to the repository) or paths relative to the report. Mermaid is the fallback.
   */
  plots?: ReadonlyArray<{ title: string; url: string; href?: string }>;
  /** The candidate's permutation importance, shown as a table. */
  explanation?: Explanation;
};

const MAX_CHARTS = 3;
const MAX_CHART_POINTS = 60;
const PALETTE = { baseline: "#8c959f", candidate: "#0969da" };

/** The hidden comment that lets a bot find its earlier report for this model and edit it. */
export function reportMarker(modelName: string): string {
  return `<!-- modelship:report model=${escapeCommentText(modelName, { maxLength: 100 })} -->`;
}

const VERDICT_TEXT: Record<ComparisonReason, string> = {
  "all-gates-passed": "every gate holds against the baseline.",
  "no-baseline-gates-passed": "there is no baseline yet (first model); its absolute limits (min/max) hold.",
  "no-gates": "no gates are configured, so nothing blocks this model.",
  "gates-failed": "",
  "no-metrics": "the candidate run reported no metrics.",
};

const ICON: Record<Verdict, string> = { pass: "✅", fail: "❌", skip: "⚪", none: "➖" };

/** Renders a comparison as a GitHub pull-request comment, capped to the comment size limit. */
export function renderComparisonMarkdown(c: Comparison, opts: RenderMarkdownOptions): string {
  const maxLength = opts.maxLength ?? GITHUB_COMMENT_LIMIT;
  const marker = opts.marker ?? reportMarker(opts.modelName);
  if (!/^<!-- [^<>]{1,200} -->$/.test(marker) || marker.slice(4, -3).includes("--")) {
    throw new ModelshipError({
      code: "report-marker-invalid",
      message: `the report marker must be an HTML comment without '<', '>' or '--' inside, got ${JSON.stringify(truncateText(marker, 80))}`,
      hint: "Leave `marker` unset to use the default `<!-- modelship:report model=NAME -->`.",
    });
  }
  const head = [marker, renderHead(c, opts)].join("\n");
  const legend = "↑ higher is better · ↓ lower is better · ★ primary metric";
  const optional: { name: string; text: string }[] = [
    dataSection(c, opts),
    plotsSection(c, opts.plots ?? []),
    {
      name: "feature importance",
      text: opts.explanation
        ? `### What drives the model\n\n${renderExplanationMarkdown(opts.explanation).trimEnd()}`
        : "",
    },
    { name: "parameter changes", text: renderParamsDiff(c) },
    { name: "gate settings", text: renderGateSettings(c) },
    { name: "candidate parameters", text: renderCandidateParams(c) },
  ].filter((s) => s.text !== "");

  const assemble = (rows: MetricRow[], shownOptional: typeof optional, dropped: string[]): string => {
    const hiddenRows = c.rows.length - rows.length;
    const parts = [head, renderTable(rows, hiddenRows), legend];
    const failures = renderFailures(c, new Set(rows.map((r) => r.name)));
    if (failures) parts.push(failures);
    for (const s of shownOptional) parts.push(s.text);
    if (dropped.length > 0 || hiddenRows > 0) {
      const what = [...(hiddenRows > 0 ? [`${hiddenRows} metric rows`] : []), ...dropped].join(", ");
      parts.push(
        `> [!NOTE]\n> This report was shortened to fit GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")}-character comment limit. Left out: ${what}. The JSON report has everything.`,
      );
    }
    return `${parts.join("\n\n")}\n`;
  };

  let out = assemble(c.rows, optional, []);
  if (out.length <= maxLength) return out;

  // Drop optional sections from the least to the most useful until the report fits.
  const kept = [...optional];
  const dropped: string[] = [];
  while (kept.length > 0) {
    dropped.unshift((kept.pop() as { name: string }).name);
    out = assemble(c.rows, kept, dropped);
    if (out.length <= maxLength) return out;
  }

  // Still too long: keep the primary metric and failed gates first, then as many rows as fit.
  const priority = [
    ...c.rows.filter((r) => r.primary || r.verdict === "fail"),
    ...c.rows.filter((r) => !r.primary && r.verdict !== "fail"),
  ];
  const pick = (n: number): MetricRow[] => {
    const chosen = new Set(priority.slice(0, n));
    return c.rows.filter((r) => chosen.has(r));
  };
  let lo = 0;
  let hi = priority.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (assemble(pick(mid), [], dropped).length <= maxLength) lo = mid;
    else hi = mid - 1;
  }
  out = assemble(pick(lo), [], dropped);
  if (out.length <= maxLength) return out;
  // Last resort: cut the text but keep the marker and verdict, which come first.
  const cut = "\n\n_(report cut at the comment size limit)_\n";
  return out.slice(0, Math.max(head.length, maxLength - cut.length)) + cut;
}

function renderHead(c: Comparison, opts: RenderMarkdownOptions): string {
  const title = escapeMarkdown(opts.title ?? `Modelship · ${opts.modelName}`, { maxLength: 120 });
  const failedCount = c.failed.length;
  const gateCount = c.rows.filter((r) => r.verdict === "pass" || r.verdict === "fail").length;
  const why =
    c.reason === "gates-failed"
      ? `${failedCount} of ${gateCount} ${gateCount === 1 ? "gate" : "gates"} failed.`
      : VERDICT_TEXT[c.reason];
  const verdict = `**${c.passed ? "✅ Passed" : "❌ Failed"}** (\`${c.reason}\`): ${why}`;
  const candUrl = opts.runUrl ?? c.candidate.runUrl;
  const cand = `**${escapeMarkdown(c.candidate.label, { maxLength: 80 })}**${link(candUrl)}`;
  const against = c.baseline
    ? `compared with baseline **${escapeMarkdown(c.baseline.label, { maxLength: 80 })}**${link(c.baseline.runUrl)}.`
    : "has no baseline to compare with.";
  const lines = [`## ${title}`, "", verdict, "", `Candidate ${cand} ${against}`];
  const primaryRow = c.primary ? c.rows.find((r) => r.name === c.primary?.name) : undefined;
  if (primaryRow) {
    const moved =
      primaryRow.change === "not-comparable"
        ? `${formatNumber(primaryRow.candidate)}`
        : `${primaryRow.change} (${formatDelta(primaryRow.delta)}, ${formatPercent(primaryRow.relativeChange)})`;
    lines[lines.length - 1] +=
      ` Primary metric **${escapeMarkdown(primaryRow.name, { maxLength: 80 })}**: ${moved}.`;
  }
  return lines.join("\n");
}

/** A Markdown link only for http(s) URLs; anything else is dropped rather than trusted. */
function link(url: string | undefined): string {
  const safe = url === undefined ? null : safeUrl(url);
  return safe ? ` ([run](${safe}))` : "";
}

function renderTable(rows: MetricRow[], hidden: number): string {
  const lines = ["| Metric | Baseline | Candidate | Δ | Δ% | Gate |", "|---|---:|---:|---:|---:|---|"];
  for (const r of rows) {
    const name = escapeMarkdown(r.name, { maxLength: 100 });
    const label = `${r.primary ? `**${name}** ★` : name} ${r.direction === "maximize" ? "↑" : "↓"}`;
    lines.push(
      `| ${label} | ${formatNumber(r.baseline)} | ${formatNumber(r.candidate)} | ${formatDelta(r.delta)} | ${formatPercent(r.relativeChange)} | ${ICON[r.verdict]} ${r.reason} |`,
    );
  }
  if (hidden > 0) lines.push(`| _…${hidden} more_ | | | | | |`);
  return lines.join("\n");
}

function renderFailures(c: Comparison, shown: Set<string>): string {
  const failed = c.failed.filter((f) => shown.has(f.name));
  if (failed.length === 0) return "";
  const lines = ["**Failed gates**", ""];
  for (const f of failed) {
    lines.push(
      `- **${escapeMarkdown(f.name, { maxLength: 100 })}** (\`${f.reason}\`): ${escapeMarkdown(f.message)}`,
    );
  }
  return lines.join("\n");
}

/** The data section when the runs' data is known, else the validation table alone. */
function dataSection(c: Comparison, opts: RenderMarkdownOptions): { name: string; text: string } {
  const data = opts.data;
  if (!data)
    return {
      name: "data validation",
      text: opts.validation ? renderValidationMarkdown(opts.validation) : "",
    };
  const text = renderDataMarkdown({
    candidate: { label: c.candidate.label, data: data.candidate },
    ...(data.baseline && c.baseline ? { baseline: { label: c.baseline.label, data: data.baseline } } : {}),
    ...(opts.validation ? { validation: opts.validation } : {}),
  });
  return { name: "data", text };
}

/** The rendered plots when there are any, else the Mermaid learning curves. */
function plotsSection(
  c: Comparison,
  plots: ReadonlyArray<{ title: string; url: string; href?: string }>,
): { name: string; text: string } {
  const images = renderPlotImages(plots);
  return images ? { name: "plots", text: images } : { name: "learning curves", text: renderCharts(c) };
}

/**
 * Images as Markdown, each a link to its `href` (the SVG) when there is one; a URL that is neither
 * https nor a plain relative path is left out.
 */
function renderPlotImages(plots: ReadonlyArray<{ title: string; url: string; href?: string }>): string {
  const safe = (url: string): string | null =>
    /^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/.test(url) && !url.includes("..") ? url : safeUrl(url);
  const shown = plots.flatMap((p) => {
    const url = safe(p.url);
    if (url === null) return [];
    const image = `![${escapeMarkdown(p.title, { maxLength: 100 })}](${url})`;
    const href = p.href === undefined ? null : safe(p.href);
    return [href ? `[${image}](${href})` : image];
  });
  if (shown.length === 0) return "";
  return ["### Plots", "", ...shown].join("\n\n");
}

function renderCharts(c: Comparison): string {
  const cand = c.candidate.history;
  if (!cand || cand.epochs.length === 0) return "";
  const base = c.baseline?.history;
  const keys = chartMetrics(c, cand);
  if (keys.length === 0) return "";
  const two = base !== undefined && base.epochs.length > 0;
  const who = two
    ? `Line 1 (grey) is the baseline **${escapeMarkdown(c.baseline?.label ?? "", { maxLength: 80 })}**, line 2 (blue) is the candidate **${escapeMarkdown(c.candidate.label, { maxLength: 80 })}**.`
    : `The line is the candidate **${escapeMarkdown(c.candidate.label, { maxLength: 80 })}**; the baseline has no history.`;
  const charts: string[] = [];
  const skipped: string[] = [];
  for (const key of keys) {
    const chart = renderChart(key, cand, two ? base : undefined);
    if (chart) charts.push(chart);
    else skipped.push(key);
  }
  const parts = ["### Learning curves", "", who];
  if (skipped.length > 0) {
    parts.push(
      "",
      `Not drawn (values that are not finite): ${skipped.map((k) => escapeMarkdown(k, { maxLength: 60 })).join(", ")}.`,
    );
  }
  if (charts.length > 0) parts.push("", charts.join("\n\n"));
  return parts.join("\n");
}

function chartMetrics(c: Comparison, cand: History): string[] {
  const present = new Set(cand.epochs.flatMap((e) => Object.keys(e)).filter((k) => k !== "epoch"));
  const p = c.primary?.name;
  // The primary metric (or its validation twin when only that was logged), then both losses.
  const primaryKey = p && !present.has(p) ? `val_${p}` : p;
  const wanted = [...(primaryKey ? [primaryKey] : []), "loss", "val_loss"];
  const keys = [...new Set(wanted)].filter((k) => present.has(k));
  if (keys.length === 0) keys.push(...[...present].sort().slice(0, 1));
  return keys.slice(0, MAX_CHARTS);
}

function series(h: History, key: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of h.epochs) {
    const v = e[key];
    if (typeof v === "number") m.set(e.epoch, v);
  }
  return m;
}

function renderChart(key: string, cand: History, base: History | undefined): string | null {
  const c = series(cand, key);
  const b = base ? series(base, key) : new Map<number, number>();
  const all = [...c.values(), ...b.values()];
  if (all.some((v) => !Number.isFinite(v))) return null;
  if (c.size === 0) return null;
  let epochs = [...new Set([...c.keys(), ...b.keys()])].sort((x, y) => x - y);
  if (epochs.length > MAX_CHART_POINTS) {
    const step = (epochs.length - 1) / (MAX_CHART_POINTS - 1);
    epochs = Array.from({ length: MAX_CHART_POINTS }, (_, i) => epochs[Math.round(i * step)] as number);
  }
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(hi) * 0.05 || 1;
  const lines = [
    "```mermaid",
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${base ? `${PALETTE.baseline}, ` : ""}${PALETTE.candidate}"}}}}%%`,
    "xychart-beta",
    `    title ${mermaidText(key)}`,
    `    x-axis "epoch" [${epochs.map((e) => `"${e}"`).join(", ")}]`,
    `    y-axis ${mermaidText(key)} ${chartNumber(lo - pad)} --> ${chartNumber(hi + pad)}`,
  ];
  if (base) lines.push(`    line [${valuesAt(b, epochs).map(chartNumber).join(", ")}]`);
  lines.push(`    line [${valuesAt(c, epochs).map(chartNumber).join(", ")}]`, "```");
  return lines.join("\n");
}

/**
 * Values at each epoch up to the series' last epoch (a shorter run draws a shorter line);
 * a gap takes the previous value (or the first one).
 */
function valuesAt(s: Map<number, number>, epochs: number[]): number[] {
  if (s.size === 0) return [];
  const last = Math.max(...s.keys());
  const first = s.get(Math.min(...s.keys())) as number;
  const out: number[] = [];
  let prev = first;
  for (const e of epochs) {
    if (e > last) break;
    prev = s.get(e) ?? prev;
    out.push(prev);
  }
  return out;
}

function chartNumber(n: number): string {
  return String(Number(n.toPrecision(6)));
}

/** Mermaid strings cannot be escaped reliably, so anything unusual becomes "_". */
function mermaidText(s: string): string {
  return `"${truncateText(s, 60).replace(/[^A-Za-z0-9 _.:/()+-]/g, "_")}"`;
}

function renderParamsDiff(c: Comparison): string {
  if (c.paramsDiff.length === 0) return "";
  const lines = [
    `<details><summary>Parameter changes (${c.paramsDiff.length})</summary>`,
    "",
    "| Parameter | Baseline | Candidate | Change |",
    "|---|---|---|---|",
    ...c.paramsDiff.map(
      (p) =>
        `| ${escapeMarkdown(p.name, { maxLength: 100 })} | ${param(p.baseline, p.change === "added")} | ${param(p.candidate, p.change === "removed")} | ${p.change} |`,
    ),
    "",
    "</details>",
  ];
  return lines.join("\n");
}

function param(v: unknown, absent: boolean): string {
  return absent ? "—" : escapeCode(formatParamValue(v), { maxLength: 100 });
}

function renderGateSettings(c: Comparison): string {
  const gated = c.rows.filter((r): r is MetricRow & { gate: MetricGate } => r.gate !== null);
  if (gated.length === 0) return "";
  const opt = (n: number | undefined): string => (n === undefined ? "—" : formatNumber(n));
  return [
    `<details><summary>Gate settings (${gated.length})</summary>`,
    "",
    "| Metric | Direction | Required | Min improvement | Max regression | Max relative regression | Min | Max |",
    "|---|---|---|---:|---:|---:|---:|---:|",
    ...gated.map(
      ({ name, gate: g }) =>
        `| ${escapeMarkdown(name, { maxLength: 100 })} | ${g.direction} | ${g.required ? "yes" : "no"} | ${opt(g.minImprovement)} | ${opt(g.maxRegression)} | ${g.maxRelativeRegression === undefined ? "—" : formatPercent(g.maxRelativeRegression).replace("+", "")} | ${opt(g.min)} | ${opt(g.max)} |`,
    ),
    "",
    "A gate with no thresholds requires that the metric does not get worse than the baseline.",
    "",
    "</details>",
  ].join("\n");
}

function renderCandidateParams(c: Comparison): string {
  const params = Object.entries(c.candidate.params);
  if (params.length === 0) return "";
  return [
    `<details><summary>Candidate parameters (${params.length})</summary>`,
    "",
    "| Parameter | Value |",
    "|---|---|",
    ...params.map(
      ([k, v]) =>
        `| ${escapeMarkdown(k, { maxLength: 100 })} | ${escapeCode(formatParamValue(v), { maxLength: 100 })} |`,
    ),
    "",
    "</details>",
  ].join("\n");
}
