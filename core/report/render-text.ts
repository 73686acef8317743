import type { Comparison } from "../compare/compare-runs.ts";
import { formatParamValue } from "../compare/flatten-params.ts";
import { escapeTerminal } from "./escape-markdown.ts";
import { formatDelta, formatNumber, formatPercent } from "./format-number.ts";

/** Renders a comparison for a terminal: aligned columns, plain text, no control characters from the runs. */
export function renderComparisonText(c: Comparison, opts: { modelName?: string } = {}): string {
  const out: string[] = [];
  const model = opts.modelName ? ` ${escapeTerminal(opts.modelName, { maxLength: 80 })}` : "";
  out.push(`Modelship compare${model}: ${c.passed ? "PASSED" : "FAILED"} (${c.reason})`);
  const cand = escapeTerminal(c.candidate.label, { maxLength: 80 });
  out.push(
    c.baseline
      ? `candidate ${cand} vs baseline ${escapeTerminal(c.baseline.label, { maxLength: 80 })}`
      : `candidate ${cand} (no baseline)`,
  );
  out.push("");

  const header = ["Metric", "Baseline", "Candidate", "Delta", "Delta%", "Gate"];
  const body = c.rows.map((r) => [
    `${escapeTerminal(r.name, { maxLength: 48 })}${r.primary ? " *" : ""} ${r.direction === "maximize" ? "(max)" : "(min)"}`,
    formatNumber(r.baseline),
    formatNumber(r.candidate),
    formatDelta(r.delta),
    formatPercent(r.relativeChange),
    `${r.verdict} ${r.reason}`,
  ]);
  out.push(...columns([header, ...body], [false, true, true, true, true, false]));
  if (c.primary) out.push("", "* primary metric");

  if (c.failed.length > 0) {
    out.push("", "Failed gates:");
    for (const f of c.failed)
      out.push(`  ${escapeTerminal(f.name, { maxLength: 80 })}: ${f.message} [${f.reason}]`);
  }
  if (c.paramsDiff.length > 0) {
    out.push("", "Parameter changes:");
    const rows = c.paramsDiff.map((p) => [
      escapeTerminal(p.name, { maxLength: 60 }),
      p.change === "added" ? "—" : escapeTerminal(formatParamValue(p.baseline), { maxLength: 40 }),
      "->",
      p.change === "removed" ? "—" : escapeTerminal(formatParamValue(p.candidate), { maxLength: 40 }),
      `(${p.change})`,
    ]);
    out.push(...columns(rows, [false, false, false, false, false]).map((l) => `  ${l}`));
  }
  return `${out.join("\n")}\n`;
}

/** Pads cells to a common width per column; right-aligned columns suit numbers. */
function columns(rows: string[][], right: boolean[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = " ".repeat((widths[i] ?? 0) - width(cell));
        return right[i] ? pad + cell : i === row.length - 1 ? cell : cell + pad;
      })
      .join("  ")
      .trimEnd(),
  );
}

function width(s: string): number {
  return Array.from(s).length;
}
