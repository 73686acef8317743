/** Where a row came from: its source (file path or source description) and its row there (1 = first record). */
export type RowOrigin = { source: string; row: number };

/** The rows expectations run on, by column, with each row's origin for unexpected samples. */
export type ExpectationTable = {
  rowCount: number;
  /** Every column seen, in first-seen order. */
  columns: readonly string[];
  /** The column's values, one per row (undefined where a row lacks the column); undefined when no row has it. */
  column(name: string): readonly unknown[] | undefined;
  origin(index: number): RowOrigin;
};

/** A table over row objects; `origins[i]` says where `rows[i]` came from. */
export function tableFromRows(
  rows: readonly Record<string, unknown>[],
  origins: readonly RowOrigin[],
): ExpectationTable {
  if (origins.length !== rows.length) {
    throw new RangeError(`tableFromRows: ${rows.length} rows but ${origins.length} origins`);
  }
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  const cache = new Map<string, unknown[]>();
  return {
    rowCount: rows.length,
    columns: [...seen],
    column(name) {
      if (!seen.has(name)) return undefined;
      let values = cache.get(name);
      if (!values) {
        values = rows.map((r) => r[name]);
        cache.set(name, values);
      }
      return values;
    },
    origin: (i) => origins[i] ?? { source: "?", row: i + 1 },
  };
}
