import { aggregate, tableLevel, type ExpectationAccumulator } from "./expectation-result.ts";
import type { Expectation } from "./expectation-schema.ts";
import { withinBounds } from "./within-bounds.ts";

type Config = Extract<Expectation, { expectation: "expect_table_row_count_to_be_between" }>;

/** The number of rows, over every source, is within the bounds; observed: the row count. */
export function expectTableRowCountToBeBetween(e: Config): ExpectationAccumulator {
  return tableLevel((facts) => aggregate(facts.rowCount, withinBounds(facts.rowCount, e)));
}
