import { aggregate, type Finding } from "./expectation-result.ts";
import type { Expectation } from "./expectation-schema.ts";
import type { ExpectationTable } from "./expectation-table.ts";
import { withinBounds } from "./within-bounds.ts";

type Config = Extract<Expectation, { expectation: "expect_table_row_count_to_be_between" }>;

/** The number of rows, over every source, is within the bounds; observed: the row count. */
export function expectTableRowCountToBeBetween(table: ExpectationTable, e: Config): Finding {
  return aggregate(table.rowCount, withinBounds(table.rowCount, e));
}
