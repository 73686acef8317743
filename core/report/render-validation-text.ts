import type { ValidationReport } from "../data/expectations/validation-report.ts";
import { escapeTerminal } from "./escape-markdown.ts";
import {
  countValidation,
  formatObserved,
  formatUnexpected,
  formatUnexpectedValue,
  orderValidationResults,
} from "./order-validation-results.ts";

/** Unexpected values listed per expectation; `--json` has up to 20. */
const TEXT_SAMPLE = 5;

const STATUS = { pass: "ok", error: "FAIL", warning: "warn" } as const;

/** The validation report for a terminal: a verdict, one aligned row per expectation (failures first), then the unexpected rows. */
export function renderValidationText(
  report: ValidationReport,
  opts: { rows: number; sources: readonly string[] },
): string {
  const c = countValidation(report.results);
  const from = opts.sources.map((s) => escapeTerminal(s, { maxLength: 80 })).join(", ") || "the data";
  const out = [
    `Data validation: ${report.success ? "PASSED" : "FAILED"} — ${c.total - c.failedErrors - c.failedWarnings} of ${c.total} expectations hold` +
      `${c.failedErrors ? `, ${c.failedErrors} error${c.failedErrors === 1 ? "" : "s"}` : ""}` +
      `${c.failedWarnings ? `, ${c.failedWarnings} warning${c.failedWarnings === 1 ? "" : "s"}` : ""} (${opts.rows} rows from ${from})`,
  ];
  if (c.total === 0)
    return `${out[0]}\nNo expectations: add them under data.expectations (\`modelship data profile\` drafts some).\n`;
  const ordered = orderValidationResults(report.results);
  const header = ["Status", "Expectation", "Column", "Observed", "Unexpected", "Where"];
  const body = ordered.map((r) => [
    r.success ? STATUS.pass : STATUS[r.severity],
    r.expectation,
    r.column === null ? "—" : escapeTerminal(r.column, { maxLength: 40 }),
    formatObserved(r),
    formatUnexpected(r),
    r.where?.line ? `line ${r.where.line}` : "",
  ]);
  out.push("", ...alignColumns([header, ...body], [false, false, false, true, true, false]));
  const failed = ordered.filter((r) => !r.success && r.unexpectedSample.length > 0);
  if (failed.length > 0) out.push("", "Unexpected values (source:row value):");
  for (const r of failed) {
    const col = r.column === null ? "" : ` ${escapeTerminal(r.column, { maxLength: 40 })}`;
    out.push(`  ${r.expectation}${col}:`);
    for (const u of r.unexpectedSample.slice(0, TEXT_SAMPLE)) {
      out.push(
        `    ${escapeTerminal(u.source, { maxLength: 80 })}:${u.row}  ${escapeTerminal(formatUnexpectedValue(u.value), { maxLength: 80 })}`,
      );
    }
    if (r.unexpectedCount > TEXT_SAMPLE) {
      out.push(
        `    … and ${r.unexpectedCount - TEXT_SAMPLE} more (--json lists ${r.unexpectedSample.length})`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}

function alignColumns(rows: string[][], right: boolean[]): string[] {
  const widths: number[] = [];
  const width = (s: string) => Array.from(s).length;
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = " ".repeat((widths[i] ?? 0) - width(cell));
        return right[i] ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd(),
  );
}
