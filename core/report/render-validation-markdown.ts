import type { ValidationReport } from "../data/expectations/validation-report.ts";
import { escapeCode, escapeMarkdown } from "./escape-markdown.ts";
import {
  countValidation,
  formatObserved,
  formatUnexpected,
  formatUnexpectedValue,
  orderValidationResults,
} from "./order-validation-results.ts";

/** Unexpected values shown per expectation in the PR report (the run's validation.json keeps up to 20). */
const SAMPLE_SHOWN = 5;
/** Rows of the table; the rest are counted. */
const MAX_ROWS = 100;

/** The one-line verdict of a validation, as Markdown. */
export function validationHeadline(report: ValidationReport): string {
  const c = countValidation(report.results);
  const held = c.total - c.failedErrors - c.failedWarnings;
  if (c.failedErrors + c.failedWarnings === 0) return `✅ Data validation: all ${c.total} expectations hold`;
  const parts = [
    c.failedErrors ? `${c.failedErrors} failed` : "",
    c.failedWarnings ? `${c.failedWarnings} warning${c.failedWarnings === 1 ? "" : "s"}` : "",
  ].filter(Boolean);
  return `${report.success ? "⚠️" : "❌"} Data validation: ${parts.join(", ")}, ${held} of ${c.total} hold`;
}

/**
 * The validation results for a pull request: a collapsed table (`<details>`), failures first,
 * each with a few unexpected values and the source row they are in.
 */
export function renderValidationMarkdown(report: ValidationReport): string {
  if (report.results.length === 0) return "";
  const ordered = orderValidationResults(report.results);
  const rows = ordered.slice(0, MAX_ROWS).map((r) => {
    const icon = r.success ? "✅" : r.severity === "error" ? "❌" : "⚠️";
    const examples = r.unexpectedSample
      .slice(0, SAMPLE_SHOWN)
      .map(
        (u) =>
          `${escapeMarkdown(formatUnexpectedValue(u.value), { maxLength: 40 })} (${escapeMarkdown(u.source, { maxLength: 60 })}:${u.row})`,
      )
      .join(", ");
    const more = r.unexpectedCount > SAMPLE_SHOWN && examples ? ", …" : "";
    return `| ${icon} | ${escapeCode(r.expectation)} | ${r.column === null ? "—" : escapeCode(r.column, { maxLength: 60 })} | ${r.severity} | ${formatObserved(r)} | ${formatUnexpected(r)} | ${examples}${more} |`;
  });
  const cut =
    ordered.length > MAX_ROWS ? [`\n${ordered.length - MAX_ROWS} more expectations not shown.`] : [];
  return [
    `<details><summary>${validationHeadline(report)}</summary>`,
    "",
    "| | Expectation | Column | Severity | Observed | Unexpected | Examples (value, source:row) |",
    "|---|---|---|---|---:|---:|---|",
    ...rows,
    ...cut,
    "",
    "</details>",
  ].join("\n");
}
