import { z } from "zod";

/** What a source was, without any secret (URLs keep no credentials, headers are not recorded). */
export const SourceDescriptionSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("file"),
    path: z.string().describe("Relative to the repository root."),
    format: z.enum(["csv", "json", "jsonl", "parquet", "arrow"]),
    encoding: z.string().optional(),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  z.object({
    kind: z.literal("http"),
    url: z.string().describe("The first page's URL as configured."),
    pages: z.number().int().nonnegative(),
    etags: z.array(z.string().nullable()).optional().describe("ETag of each page, for conditional re-pulls."),
  }),
  z.object({ kind: z.literal("sqlite"), path: z.string(), query: z.string() }),
  z.object({
    kind: z.literal("postgres"),
    server: z.string().describe("host:port/database, never the user's password."),
    query: z.string(),
  }),
]);
export type SourceDescription = z.infer<typeof SourceDescriptionSchema>;

export const COLUMN_TYPES = ["number", "integer", "string", "boolean", "null", "mixed", "object"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];
export const ColumnSchemaSchema = z.object({
  name: z.string(),
  type: z.enum(COLUMN_TYPES),
  nulls: z.number().int().nonnegative(),
});
export type ColumnSchema = z.infer<typeof ColumnSchemaSchema>;

/** One source's rows inside the snapshot: rows `[firstRow, firstRow + rows)` of `rows.jsonl` (0-based). */
export const SnapshotPartSchema = z.object({
  source: SourceDescriptionSchema,
  firstRow: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
});
export type SnapshotPart = z.infer<typeof SnapshotPartSchema>;

/**
 * `snapshot.json` next to `rows.jsonl` in `.modelship/data/<version>/`. The version is the sha256
 * of `rows.jsonl` (one canonical JSON object per line), so the same rows are the same version
 * whatever format or source they came from.
 */
export const DataSnapshotSchema = z.object({
  schemaVersion: z.literal(1),
  version: z.string().regex(/^[0-9a-f]{64}$/),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  columns: z.array(ColumnSchemaSchema),
  parts: z.array(SnapshotPartSchema),
});
export type DataSnapshot = z.infer<typeof DataSnapshotSchema>;

/** Where source row `index` (0-based in the concatenation) came from: its part and its 1-based row there. */
export function locateRow(
  parts: readonly SnapshotPart[],
  index: number,
): { source: SourceDescription; row: number } | undefined {
  let lo = 0;
  let hi = parts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = parts[mid]!;
    if (index < p.firstRow) hi = mid - 1;
    else if (index >= p.firstRow + p.rows) lo = mid + 1;
    else return { source: p.source, row: index - p.firstRow + 1 };
  }
  return undefined;
}

/** A short human label for a source: its path, URL or server (never a secret). */
export function describeSource(s: SourceDescription): string {
  switch (s.kind) {
    case "file":
    case "sqlite":
      return s.path;
    case "http":
      return s.url;
    case "postgres":
      return `postgres ${s.server}`;
  }
}

/** Column names and types seen so far, in first-seen order; feed it every row once. */
export function createSchemaTracker(): {
  add(row: Record<string, unknown>): void;
  columns(): ColumnSchema[];
} {
  const seen = new Map<string, { type: ColumnType | undefined; nulls: number; present: number }>();
  let rows = 0;
  return {
    add(row) {
      rows++;
      for (const key in row) {
        let c = seen.get(key);
        if (!c) {
          c = { type: undefined, nulls: 0, present: 0 };
          seen.set(key, c);
        }
        c.present++;
        const t = typeOf(row[key]);
        if (t === "null") c.nulls++;
        else c.type = c.type === undefined ? t : mergeTypes(c.type, t);
      }
    },
    columns() {
      // A column missing from a row counts as null there.
      return [...seen].map(([name, c]) => ({
        name,
        type: c.type ?? "null",
        nulls: c.nulls + (rows - c.present),
      }));
    },
  };
}

/** The schema type of one value. */
export function typeOf(v: unknown): ColumnType {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "bigint") return "integer";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  return "object";
}

/** The type of a column holding values of types `a` and `b`. */
export function mergeTypes(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  const numeric = new Set<ColumnType>(["integer", "number"]);
  if (numeric.has(a) && numeric.has(b)) return "number";
  return "mixed";
}

/**
 * A row as canonical JSON (keys sorted, as `canonicalJson` writes it), fast for the usual flat
 * rows: the sorted key order and the quoted keys are computed once per distinct key list.
 */
export function createRowSerializer(
  fallback: (v: unknown) => string,
): (row: Record<string, unknown>) => string {
  const layouts = new Map<string, Array<{ key: string; quoted: string }>>();
  return (row) => {
    const keys = Object.keys(row);
    const id = keys.join("\u0000");
    let layout = layouts.get(id);
    if (!layout) {
      layout = [...keys]
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((key) => ({ key, quoted: `${JSON.stringify(key)}:` }));
      if (layouts.size < 1024) layouts.set(id, layout);
    }
    let out = "{";
    let sep = "";
    for (const { key, quoted } of layout) {
      const v = row[key];
      if (v === undefined) continue;
      out += sep + quoted + valueJson(v, fallback);
      sep = ",";
    }
    return `${out}}`;
  };
}

function valueJson(v: unknown, fallback: (v: unknown) => string): string {
  // Same text as JSON.stringify for every primitive, without its generic machinery.
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  return fallback(v);
}

/** The schema of concatenated parts: columns in first-seen order, types merged, nulls summed. */
export function combineColumns(
  parts: ReadonlyArray<{ columns: ColumnSchema[]; rows: number }>,
): ColumnSchema[] {
  const names: string[] = [];
  for (const p of parts) for (const c of p.columns) if (!names.includes(c.name)) names.push(c.name);
  return names.map((name) => {
    let type: ColumnType | undefined;
    let nulls = 0;
    for (const p of parts) {
      const c = p.columns.find((x) => x.name === name);
      if (!c) {
        nulls += p.rows;
        continue;
      }
      nulls += c.nulls;
      if (c.type !== "null") type = type === undefined ? c.type : mergeTypes(type, c.type);
    }
    return { name, type: type ?? "null", nulls };
  });
}
