import { formatParamValue } from "../compare/flatten-params.ts";
import { escapeCode, escapeMarkdown } from "../report/escape-markdown.ts";
import { formatNumber } from "../report/format-number.ts";
import type { RunTable } from "./compare-run-table.ts";

/**
 * Markdown: one row per run, metric columns then the params that differ. The best value of each
 * metric is bold; params every run shares are listed once below the table.
 */
export function renderRunTableMarkdown(t: RunTable): string {
  const varying = t.params.filter((p) => p.differs);
  const header = [
    "Run",
    ...t.metrics.map((m) => `${escapeMarkdown(m.name)} ${m.direction === "maximize" ? "↑" : "↓"}`),
    ...varying.map((p) => escapeMarkdown(p.name)),
  ];
  const rows = t.runs.map((r) => [
    `${escapeCode(r.id)}${r.status === "failed" ? " (failed)" : ""}`,
    ...t.metrics.map((m) => {
      const s = formatNumber(m.values[r.id]);
      return m.best.includes(r.id) && t.runs.length > 1 ? `**${s}**` : s;
    }),
    ...varying.map((p) => escapeMarkdown(formatParamValue(p.values[r.id] ?? undefined))),
  ]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const out = [line(header), line(header.map(() => "---")), ...rows.map(line)];
  const same = t.params.filter((p) => !p.differs);
  if (same.length > 0) {
    const first = t.runs[0]?.id ?? "";
    out.push(
      "",
      `Same in every run: ${same.map((p) => escapeCode(`${p.name}=${formatParamValue(p.values[first] ?? undefined)}`)).join(", ")}`,
    );
  }
  return `${out.join("\n")}\n`;
}

/** Plain text for a terminal: the same table, aligned, best values marked with `*`. */
export function renderRunTableText(t: RunTable): string {
  const varying = t.params.filter((p) => p.differs);
  const header = ["run", ...t.metrics.map((m) => m.name), ...varying.map((p) => p.name)];
  const rows = t.runs.map((r) => [
    r.id,
    ...t.metrics.map(
      (m) => `${formatNumber(m.values[r.id])}${m.best.includes(r.id) && t.runs.length > 1 ? "*" : ""}`,
    ),
    ...varying.map((p) => formatParamValue(p.values[r.id] ?? undefined)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const same = t.params.filter((p) => !p.differs).length;
  return `${[fmt(header), ...rows.map(fmt)].join("\n")}\n${t.runs.length > 1 ? "* best value of the metric\n" : ""}${same ? `${same} parameter(s) are the same in every run (--json lists them)\n` : ""}`;
}
