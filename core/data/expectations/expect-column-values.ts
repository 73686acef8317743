import { isMissing, toNumber } from "../../features/preprocessor.ts";
import {
  columnMap,
  located,
  mapFinding,
  UNEXPECTED_SAMPLE_LIMIT,
  type ExpectationAccumulator,
  type IndexedValue,
} from "./expectation-result.ts";
import { TYPE_NAMES, type Expectation, type TypeKind } from "./expectation-schema.ts";
import { valueKey, valueText } from "./value-key.ts";
import { withinBounds } from "./within-bounds.ts";

type Of<N extends Expectation["expectation"]> = Extract<Expectation, { expectation: N }>;

function map(
  e: { column: string; mostly: number },
  passes: (v: unknown) => boolean,
  countNulls = false,
): ExpectationAccumulator {
  return columnMap({ column: e.column, mostly: e.mostly, isNull: isMissing, passes, countNulls });
}

/** Values are present: null, absent, blank text and NaN are unexpected, and mostly counts every row. */
export function expectColumnValuesToNotBeNull(
  e: Of<"expect_column_values_to_not_be_null">,
): ExpectationAccumulator {
  return map(e, (v) => !isMissing(v), true);
}

/** Non-null values are numbers (or numeric text) within the bounds. */
export function expectColumnValuesToBeBetween(
  e: Of<"expect_column_values_to_be_between">,
): ExpectationAccumulator {
  return map(e, (v) => {
    const n = toNumber(v);
    return n !== undefined && withinBounds(n, e);
  });
}

/** Non-null values are members of value_set (same type and value). */
export function expectColumnValuesToBeInSet(
  e: Of<"expect_column_values_to_be_in_set">,
): ExpectationAccumulator {
  const allowed = new Set(e.value_set.map(valueKey));
  return map(e, (v) => allowed.has(valueKey(v)));
}

/** Non-null values, as text, contain a match of regex (a search, as GE does, not a full match). */
export function expectColumnValuesToMatchRegex(
  e: Of<"expect_column_values_to_match_regex">,
): ExpectationAccumulator {
  const re = new RegExp(e.regex);
  return map(e, (v) => re.test(valueText(v)));
}

/**
 * Non-null values occur once; every occurrence of a repeated value is unexpected. Held: each
 * distinct value's count and first row, and the first rows of later occurrences (the sample lists
 * the first unexpected rows, which are among those).
 */
export function expectColumnValuesToBeUnique(
  e: Of<"expect_column_values_to_be_unique">,
): ExpectationAccumulator {
  const seen = new Map<string, { count: number; first: IndexedValue }>();
  const later: IndexedValue[] = [];
  let checked = 0;
  return {
    column: e.column,
    add(v, index) {
      if (isMissing(v)) return;
      checked += 1;
      const k = valueKey(v);
      const s = seen.get(k);
      if (s === undefined) seen.set(k, { count: 1, first: { index, value: v } });
      else {
        s.count += 1;
        if (later.length < UNEXPECTED_SAMPLE_LIMIT) later.push({ index, value: v });
      }
    },
    finish(facts) {
      let unexpected = 0;
      const firsts: IndexedValue[] = [];
      for (const s of seen.values()) {
        if (s.count < 2) continue;
        unexpected += s.count;
        firsts.push(s.first);
      }
      const sample = [...firsts, ...later]
        .sort((a, b) => a.index - b.index)
        .slice(0, UNEXPECTED_SAMPLE_LIMIT);
      return mapFinding(checked, unexpected, e.mostly, located(facts, sample));
    },
  };
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
  e: Of<"expect_column_values_to_be_of_type">,
): ExpectationAccumulator {
  const is = IS_KIND[TYPE_NAMES[e.type_]];
  return map(e, (v) => is(v));
}
