import type { ColumnSchema, ColumnType } from "./data-snapshot.ts";

/** How a candidate's columns differ from a baseline's, by name. */
export type ColumnsDiff = {
  added: ColumnSchema[];
  removed: ColumnSchema[];
  retyped: Array<{ name: string; from: ColumnType; to: ColumnType }>;
};

/**
 * Columns added, removed and retyped from `baseline` to `candidate` (in each list's own order).
 * A column whose values were all null on one side has no type to compare, so it is not retyped.
 */
export function diffColumns(
  baseline: readonly ColumnSchema[],
  candidate: readonly ColumnSchema[],
): ColumnsDiff {
  const before = new Map(baseline.map((c) => [c.name, c]));
  const after = new Map(candidate.map((c) => [c.name, c]));
  const retyped: ColumnsDiff["retyped"] = [];
  for (const c of candidate) {
    const b = before.get(c.name);
    if (b && b.type !== c.type && b.type !== "null" && c.type !== "null") {
      retyped.push({ name: c.name, from: b.type, to: c.type });
    }
  }
  return {
    added: candidate.filter((c) => !before.has(c.name)),
    removed: baseline.filter((c) => !after.has(c.name)),
    retyped,
  };
}
