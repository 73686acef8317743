import { aggregate, type Finding } from "./expectation-result.ts";
import type { Expectation } from "./expectation-schema.ts";
import type { ExpectationTable } from "./expectation-table.ts";

type Config = Extract<Expectation, { expectation: "expect_column_to_exist" }>;

/** The column is present (at `column_index`, when given); observed: its position, or null. */
export function expectColumnToExist(table: ExpectationTable, e: Config): Finding {
  const index = table.columns.indexOf(e.column);
  if (index < 0) return aggregate(null, false);
  return aggregate(index, e.column_index === undefined || e.column_index === index);
}
