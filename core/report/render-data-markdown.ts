import { diffColumns, type ColumnsDiff } from "../data/diff-columns.ts";
import type { ValidationReport } from "../data/expectations/validation-report.ts";
import { describeSource } from "../data/data-snapshot.ts";
import type { RunRecord } from "../run/run-record.ts";
import { escapeCode, escapeMarkdown } from "./escape-markdown.ts";
import { renderValidationMarkdown } from "./render-validation-markdown.ts";

/** What a run record says about the data it trained on. */
export type RunData = RunRecord["data"];

export type DataSectionInput = {
  candidate: { label: string; data: RunData };
  baseline?: { label: string; data: RunData };
  /** The candidate's data validation (its run's validation.json). */
  validation?: ValidationReport;
};

/** Characters of a data version shown (the full hash is in run.json). */
const VERSION_CHARS = 12;
/** Columns listed per kind of schema change; the rest are counted. */
const MAX_LISTED = 20;

/**
 * The report's data section: data versions (content hashes) of candidate and baseline, row counts,
 * schema changes (added, removed, retyped columns) and the expectation results, collapsed.
 */
export function renderDataMarkdown(input: DataSectionInput): string {
  const { candidate: c, baseline: b } = input;
  const diff =
    b && c.data.columns && b.data.columns ? diffColumns(b.data.columns, c.data.columns) : undefined;
  const parts = ["### Data", "", dataHeadline(input, diff), "", renderDataTable(input)];
  if (diff) parts.push("", renderSchemaChanges(diff));
  else if (b) parts.push("", "_Schema changes unknown: a run without a recorded schema (older runs)._");
  const validation = input.validation ? renderValidationMarkdown(input.validation) : "";
  if (validation) parts.push("", validation);
  return parts.join("\n");
}

function dataHeadline(input: DataSectionInput, diff: ColumnsDiff | undefined): string {
  const b = input.baseline;
  if (!b) return "The candidate's data (no baseline to compare with).";
  const same = dataVersion(input.candidate.data) === dataVersion(b.data);
  const changes = diff ? diff.added.length + diff.removed.length + diff.retyped.length : 0;
  if (same) return "✅ Same data as the baseline (identical data version).";
  const schema = changes === 0 ? "same schema" : `${changes} schema ${changes === 1 ? "change" : "changes"}`;
  return `🔄 The data changed since the baseline (${schema}).`;
}

/** The data version (snapshot hash); older runs only have a fingerprint of their files. */
function dataVersion(d: RunData): string {
  return d.version ?? d.fingerprint.replace(/^sha256:/, "");
}

function renderDataTable(input: DataSectionInput): string {
  const runs = [...(input.baseline ? [input.baseline] : []), input.candidate];
  const head = `| | ${runs.map((r) => `${r === input.candidate ? "Candidate" : "Baseline"} ${escapeMarkdown(r.label, { maxLength: 60 })}`).join(" | ")} |`;
  const row = (name: string, cell: (d: RunData) => string): string =>
    `| ${name} | ${runs.map((r) => cell(r.data)).join(" | ")} |`;
  return [
    head,
    `|---|${runs.map(() => "---").join("|")}|`,
    row("Data version", (d) => escapeCode(dataVersion(d).slice(0, VERSION_CHARS))),
    row("Rows", (d) => count(d.rows)),
    row("Training / validation rows", (d) =>
      d.trainRows === undefined && d.validationRows === undefined
        ? "—"
        : `${count(d.trainRows)} / ${count(d.validationRows)}`,
    ),
    row("Columns", (d) => (d.columns ? String(d.columns.length) : "—")),
    row("Sources", sources),
  ].join("\n");
}

function count(n: number | undefined): string {
  return n === undefined ? "—" : n.toLocaleString("en-US");
}

function sources(d: RunData): string {
  const names = d.sources?.map(describeSource) ?? d.files.map((f) => f.path);
  if (names.length === 0) return "—";
  const shown = names.slice(0, 3).map((n) => escapeMarkdown(n, { maxLength: 60 }));
  return names.length > 3 ? `${shown.join(", ")} and ${names.length - 3} more` : shown.join(", ");
}

function renderSchemaChanges(diff: ColumnsDiff): string {
  const lines: string[] = [];
  const list = <T>(label: string, items: T[], text: (x: T) => string): void => {
    if (items.length === 0) return;
    const more = items.length > MAX_LISTED ? `, and ${items.length - MAX_LISTED} more` : "";
    lines.push(`- ${label} (${items.length}): ${items.slice(0, MAX_LISTED).map(text).join(", ")}${more}`);
  };
  const col = (name: string): string => escapeCode(name, { maxLength: 60 });
  list("❌ Removed", diff.removed, (c) => `${col(c.name)} (${c.type})`);
  list("🔁 Retyped", diff.retyped, (c) => `${col(c.name)} (${c.from} → ${c.to})`);
  list("➕ Added", diff.added, (c) => `${col(c.name)} (${c.type})`);
  return lines.length === 0
    ? "Schema: no columns added, removed or retyped."
    : ["**Schema changes**", "", ...lines].join("\n");
}
