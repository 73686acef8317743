import { isMissing } from "../../features/preprocessor.ts";
import type { Expectation } from "./expectation-schema.ts";
import type { ExpectationTable } from "./expectation-table.ts";
import { valueKey } from "./value-key.ts";

/** Most distinct text values a column may have for its set to be proposed. */
export const MAX_SET_SIZE = 20;

/** What the profiler saw in one column, said in the YAML as a comment. */
export type ColumnSummary = {
  column: string;
  type: "int" | "float" | "str" | "bool" | "mixed" | "empty";
  nullPercent: number;
  distinct: number;
};

export type ProposedSuite = { rowCount: number; columns: ColumnSummary[]; expectations: Expectation[] };

type Stats = {
  nonNull: unknown[];
  nulls: number;
  type: ColumnSummary["type"];
  distinct: Map<string, unknown>;
};

function columnStats(values: readonly unknown[]): Stats {
  const nonNull = values.filter((v) => !isMissing(v));
  const kinds = new Set(nonNull.map(kindOf));
  if (kinds.has("int") && kinds.has("float")) kinds.delete("int");
  const [only] = kinds;
  const type = kinds.size === 0 ? "empty" : kinds.size === 1 && only !== undefined ? only : "mixed";
  const distinct = new Map<string, unknown>();
  for (const v of nonNull) distinct.set(valueKey(v), v);
  return { nonNull, nulls: values.length - nonNull.length, type, distinct };
}

function kindOf(v: unknown): ColumnSummary["type"] {
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  return "mixed";
}

/** Rounds a share down to two decimals, so the data it came from passes `mostly`. */
const floorShare = (x: number) => Math.floor(x * 100) / 100;

/**
 * A starter suite from the data, the way GE's profiler drafts one: the row count, and per column
 * its presence, type, null rate (as `mostly`), numeric range and, for few distinct texts, their set.
 * Every proposal holds on the data it was made from.
 */
export function proposeSuite(table: ExpectationTable): ProposedSuite {
  const n = table.rowCount;
  const expectations: Expectation[] = [
    {
      expectation: "expect_table_row_count_to_be_between",
      min_value: Math.floor(n * 0.9),
      max_value: Math.ceil(n * 1.1),
      strict_min: false,
      strict_max: false,
      severity: "warning",
    },
  ];
  const columns: ColumnSummary[] = [];
  for (const column of table.columns) {
    const s = columnStats(table.column(column) ?? []);
    columns.push({
      column,
      type: s.type,
      nullPercent: n === 0 ? 0 : (s.nulls / n) * 100,
      distinct: s.distinct.size,
    });
    expectations.push(...proposeForColumn(column, s, n));
  }
  return { rowCount: n, columns, expectations };
}

function proposeForColumn(column: string, s: Stats, n: number): Expectation[] {
  const out: Expectation[] = [{ expectation: "expect_column_to_exist", column, severity: "error" }];
  if (s.type === "empty") return out;
  const present = n === 0 ? 1 : s.nonNull.length / n;
  out.push({
    expectation: "expect_column_values_to_not_be_null",
    column,
    mostly: floorShare(present),
    severity: "error",
  });
  if (s.type !== "mixed") {
    out.push({
      expectation: "expect_column_values_to_be_of_type",
      column,
      type_: s.type,
      mostly: 1,
      severity: "error",
    });
  }
  if (s.type === "int" || s.type === "float") {
    // A loop, not Math.min(...xs): spreading a long column overflows the call stack.
    let min = Infinity;
    let max = -Infinity;
    for (const x of s.nonNull as number[]) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    out.push({
      expectation: "expect_column_values_to_be_between",
      column,
      min_value: min,
      max_value: max,
      strict_min: false,
      strict_max: false,
      mostly: 1,
      severity: "error",
    });
  }
  const few = s.distinct.size <= MAX_SET_SIZE && s.distinct.size < s.nonNull.length;
  if ((s.type === "str" || s.type === "bool") && few) {
    const values = [...s.distinct.values()] as (string | boolean)[];
    out.push({
      expectation: "expect_column_values_to_be_in_set",
      column,
      value_set: values.sort((a, b) => String(a).localeCompare(String(b))),
      mostly: 1,
      severity: "error",
    });
  } else if (s.type !== "float" && s.nonNull.length > MAX_SET_SIZE && s.distinct.size === s.nonNull.length) {
    out.push({ expectation: "expect_column_values_to_be_unique", column, mostly: 1, severity: "error" });
  }
  return out;
}
