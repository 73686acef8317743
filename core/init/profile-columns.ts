import { isMissing, toNumber } from "../features/preprocessor.ts";

/** What the starter config needs to know of a column: are all its values numbers, do any lack one. */
export type ColumnProfile = { name: string; numeric: boolean; missing: boolean; present: number };

/** Profiles the columns of one file's rows, in first-seen order; a column absent from a row is missing there. */
export function profileColumns(rows: Iterable<Record<string, unknown>>): ColumnProfile[] {
  const byName = new Map<string, ColumnProfile>();
  let count = 0;
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      let p = byName.get(name);
      if (!p) {
        p = { name, numeric: true, missing: count > 0, present: 0 };
        byName.set(name, p);
      }
      if (isMissing(value)) p.missing = true;
      else {
        p.present += 1;
        if (toNumber(value) === undefined) p.numeric = false;
      }
    }
    for (const p of byName.values()) if (!(p.name in row)) p.missing = true;
    count += 1;
  }
  return [...byName.values()];
}

/** One profile per column over several files: numeric if numeric everywhere, missing if missing anywhere. */
export function mergeProfiles(files: readonly (readonly ColumnProfile[])[]): ColumnProfile[] {
  const byName = new Map<string, ColumnProfile>();
  for (const c of files.flat()) {
    const p = byName.get(c.name);
    byName.set(c.name, {
      name: c.name,
      numeric: (p?.numeric ?? true) && c.numeric,
      missing: (p?.missing ?? false) || c.missing,
      present: (p?.present ?? 0) + c.present,
    });
  }
  // A column some file lacks is missing in that file's rows.
  for (const p of byName.values()) if (files.some((f) => !f.some((c) => c.name === p.name))) p.missing = true;
  return [...byName.values()];
}
