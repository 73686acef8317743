import { aggregate, tableLevel, type ExpectationAccumulator } from "./expectation-result.ts";
import type { Expectation } from "./expectation-schema.ts";

type Config = Extract<Expectation, { expectation: "expect_column_to_exist" }>;

/** The column is present (at `column_index`, when given); observed: its position, or null. */
export function expectColumnToExist(e: Config): ExpectationAccumulator {
  return tableLevel((facts) => {
    const index = facts.columns.indexOf(e.column);
    if (index < 0) return aggregate(null, false);
    return aggregate(index, e.column_index === undefined || e.column_index === index);
  });
}
