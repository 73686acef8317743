import type { Expectation } from "./expectation-schema.ts";
import type { ProposedSuite } from "./propose-suite.ts";

// Keys whose value is the schema default: left out so the starter reads short.
const DEFAULTS: Record<string, unknown> = {
  strict_min: false,
  strict_max: false,
  mostly: 1,
  severity: "error",
};

function compact(e: Expectation): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).filter(([k, v]) => DEFAULTS[k] !== v));
}

/** The proposed suite as YAML to paste into `.github/modelship.yml`: one flow mapping per line, a comment per column. */
export function renderSuiteYaml(suite: ProposedSuite, opts: { sources: readonly string[] }): string {
  const line = (e: Expectation) => `    - ${flow(compact(e))}`;
  const out = [
    `# Starter expectations proposed by \`modelship data profile\` from ${suite.rowCount} rows of ${opts.sources.join(", ") || "the data"}.`,
    "# Edit them (bounds, sets, severity), then put them under data: in .github/modelship.yml.",
    "data:",
    "  expectations:",
  ];
  for (const e of suite.expectations) {
    if (e.expectation === "expect_column_to_exist") {
      const c = suite.columns.find((s) => s.column === e.column);
      if (c) {
        out.push(
          `    # ${c.column.replace(/[\r\n\u2028\u2029]/g, " ")}: ${c.type}, ${formatPercent(c.nullPercent)} null, ${c.distinct} distinct value${c.distinct === 1 ? "" : "s"}`,
        );
      }
    }
    out.push(line(e));
  }
  return `${out.join("\n")}\n`;
}

function formatPercent(p: number): string {
  return `${p === 0 || p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

// Plain scalars YAML could read as something else (booleans, nulls, numbers) are quoted.
const PLAIN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

/** One flow mapping on one line; strings are JSON-quoted (valid YAML) unless plainly safe. */
function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${flow(k)}: ${flow(v)}`)
      .join(", ")} }`;
  }
  if (typeof value === "string")
    return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
  return String(value);
}
