import { isMissing, toNumber } from "../../features/preprocessor.ts";
import { columnMap, missingColumn, type Finding } from "./expectation-result.ts";
import { TYPE_NAMES, type Expectation, type TypeKind } from "./expectation-schema.ts";
import type { ExpectationTable } from "./expectation-table.ts";
import { valueKey, valueText } from "./value-key.ts";
import { withinBounds } from "./within-bounds.ts";

type Of<N extends Expectation["expectation"]> = Extract<Expectation, { expectation: N }>;

function map(
  table: ExpectationTable,
  e: { column: string; mostly: number },
  passes: (v: unknown, i: number) => boolean,
  countNulls = false,
): Finding {
  const values = table.column(e.column);
  if (!values) return missingColumn();
  return columnMap({ table, values, mostly: e.mostly, isNull: isMissing, passes, countNulls });
}

/** Values are present: null, absent, blank text and NaN are unexpected, and mostly counts every row. */
export function expectColumnValuesToNotBeNull(
  table: ExpectationTable,
  e: Of<"expect_column_values_to_not_be_null">,
): Finding {
  return map(table, e, (v) => !isMissing(v), true);
}

/** Non-null values are numbers (or numeric text) within the bounds. */
export function expectColumnValuesToBeBetween(
  table: ExpectationTable,
  e: Of<"expect_column_values_to_be_between">,
): Finding {
  return map(table, e, (v) => {
    const n = toNumber(v);
    return n !== undefined && withinBounds(n, e);
  });
}

/** Non-null values are members of value_set (same type and value). */
export function expectColumnValuesToBeInSet(
  table: ExpectationTable,
  e: Of<"expect_column_values_to_be_in_set">,
): Finding {
  const allowed = new Set(e.value_set.map(valueKey));
  return map(table, e, (v) => allowed.has(valueKey(v)));
}

/** Non-null values, as text, contain a match of regex (a search, as GE does, not a full match). */
export function expectColumnValuesToMatchRegex(
  table: ExpectationTable,
  e: Of<"expect_column_values_to_match_regex">,
): Finding {
  const re = new RegExp(e.regex);
  return map(table, e, (v) => re.test(valueText(v)));
}

/** Non-null values occur once; every occurrence of a repeated value is unexpected. */
export function expectColumnValuesToBeUnique(
  table: ExpectationTable,
  e: Of<"expect_column_values_to_be_unique">,
): Finding {
  const values = table.column(e.column) ?? [];
  const counts = new Map<string, number>();
  for (const v of values) {
    if (isMissing(v)) continue;
    const k = valueKey(v);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return map(table, e, (v) => counts.get(valueKey(v)) === 1);
}

const IS_KIND: Record<TypeKind, (v: unknown) => boolean> = {
  int: (v) => (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint",
  // JSON and CSV cannot tell 3 from 3.0, so any number is a float.
  float: (v) => typeof v === "number" || typeof v === "bigint",
  string: (v) => typeof v === "string",
  bool: (v) => typeof v === "boolean",
};

/** Non-null values have the type type_ (int, float, str or bool, under GE's Python and SQL names). */
export function expectColumnValuesToBeOfType(
  table: ExpectationTable,
  e: Of<"expect_column_values_to_be_of_type">,
): Finding {
  const is = IS_KIND[TYPE_NAMES[e.type_]];
  return map(table, e, (v) => is(v));
}
