import type { ValidationResult } from "../data/expectations/validation-report.ts";
import { valueText } from "../data/expectations/value-key.ts";
import { formatNumber } from "./format-number.ts";

const RANK = (r: ValidationResult) => (r.success ? 2 : r.severity === "error" ? 0 : 1);

/** Failed errors first, then failed warnings, then what passed; config order within each. */
export function orderValidationResults(results: readonly ValidationResult[]): ValidationResult[] {
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => RANK(a.r) - RANK(b.r) || a.i - b.i)
    .map((x) => x.r);
}

/** Counts for a one-line verdict. */
export function countValidation(results: readonly ValidationResult[]): {
  total: number;
  failedErrors: number;
  failedWarnings: number;
} {
  return {
    total: results.length,
    failedErrors: results.filter((r) => !r.success && r.severity === "error").length,
    failedWarnings: results.filter((r) => !r.success && r.severity === "warning").length,
  };
}

/** The observed value for people; shares of passing values as a percentage. */
export function formatObserved(r: ValidationResult): string {
  if (r.observed === null) return "—";
  if (r.expectation === "expect_column_to_exist") return `position ${r.observed}`;
  if (MAP_EXPECTATIONS.has(r.expectation)) return `${(r.observed * 100).toFixed(1)}% pass`;
  return formatNumber(r.observed);
}

/** "3 (1.2%)", or "0". */
export function formatUnexpected(r: ValidationResult): string {
  return r.unexpectedCount === 0 ? "0" : `${r.unexpectedCount} (${r.unexpectedPercent.toFixed(1)}%)`;
}

/** An unexpected value as short text: JSON for anything but a string. */
export function formatUnexpectedValue(v: unknown): string {
  return v === null ? "null" : typeof v === "string" ? JSON.stringify(v) : valueText(v);
}

const MAP_EXPECTATIONS = new Set<ValidationResult["expectation"]>([
  "expect_column_values_to_not_be_null",
  "expect_column_values_to_be_between",
  "expect_column_values_to_be_in_set",
  "expect_column_values_to_match_regex",
  "expect_column_values_to_be_unique",
  "expect_column_values_to_be_of_type",
]);
