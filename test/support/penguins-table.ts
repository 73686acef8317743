import { readFileSync } from "node:fs";
import { tableFromRows, type ExpectationTable } from "../../core/data/expectations/expectation-table.ts";

/**
 * Palmer penguins as the example ships them (examples/penguins/data/penguins.json): 344 rows,
 * lower-case names, nulls where a value was not measured. Read fresh for each caller.
 */
export function penguinRows(): Record<string, unknown>[] {
  const url = new URL("../../examples/penguins/data/penguins.json", import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as Record<string, unknown>[];
}

/** The penguins as an expectation table, each row pointing at its line of data/penguins.json. */
export function penguinsTable(rows = penguinRows()): ExpectationTable {
  return tableFromRows(
    rows,
    rows.map((_, i) => ({ source: "data/penguins.json", row: i + 1 })),
  );
}
