import { formatParamValue } from "../compare/flatten-params.ts";
import type { RunFilterClause } from "./parse-run-filter.ts";
import { runAttribute, type RunEntry } from "./run-entry.ts";

/**
 * True when the run satisfies every clause. A run that lacks the key never matches (as in MLflow).
 * Params and tags compare as numbers when both sides are numbers, else as text.
 */
export function matchRunFilter(entry: RunEntry, clauses: readonly RunFilterClause[]): boolean {
  return clauses.every((c) => matchClause(entry, c));
}

function lookup(entry: RunEntry, c: RunFilterClause): unknown {
  switch (c.entity) {
    case "metrics":
      return entry.metrics[c.key];
    case "params":
      return entry.params[c.key];
    case "tags":
      return entry.tags[c.key];
    case "attributes":
      return runAttribute(entry, c.key);
  }
}

function matchClause(entry: RunEntry, c: RunFilterClause): boolean {
  const actual = lookup(entry, c);
  if (actual === undefined) return false;
  if (c.op === "IN" || c.op === "NOT IN") {
    const inList = (c.value as string[]).includes(formatParamValue(actual));
    return c.op === "IN" ? inList : !inList;
  }
  if (c.op === "LIKE" || c.op === "ILIKE") {
    return likePattern(c.value as string, c.op === "ILIKE").test(formatParamValue(actual));
  }
  const asNumber = toNumber(actual);
  if (typeof c.value === "number" && asNumber !== undefined) return compare(asNumber, c.value, c.op);
  if (typeof c.value === "number") return c.op === "!=";
  return compare(formatParamValue(actual), c.value as string, c.op);
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isNaN(v) ? undefined : v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function compare<T extends number | string>(a: T, b: T, op: RunFilterClause["op"]): boolean {
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    default:
      return false;
  }
}

/** SQL LIKE: `%` any run of characters, `_` one character, everything else literal. */
function likePattern(pattern: string, caseInsensitive: boolean): RegExp {
  const body = [...pattern]
    .map((ch) => (ch === "%" ? ".*" : ch === "_" ? "." : ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, caseInsensitive ? "is" : "s");
}
