import { join } from "node:path";
import type {
  DataLoading,
  DataSourceConfig,
  HttpSourceConfig,
} from "../../core/config/data-sources-schema.ts";
import {
  combineColumns,
  createSchemaTracker,
  type ColumnSchema,
  describeSource,
  locateRow,
  type DataSnapshot,
  type SnapshotPart,
} from "../../core/data/data-snapshot.ts";
import { ModelshipError } from "../../core/errors.ts";
import { PIECE_META, type DataSource, type Row, type RowBatch } from "./data-source.ts";
import type { createHttpSource } from "./http-source.ts";
import { loadHttpPages, saveHttpPages } from "./http-page-memo-store.ts";
import { openSources, type OpenedSource, type SourceContext } from "./open-sources.ts";
import {
  createSnapshotWriter,
  findSnapshotFor,
  readSnapshotRows,
  type SnapshotWriter,
} from "./snapshot-store.ts";

/** The parts of `config.data` that say where rows come from. */
export type DataSourcesInput = {
  /** Legacy list of files (read first, with `format`). */
  source: readonly string[];
  format: "auto" | "csv" | "json" | "jsonl";
  sources: readonly DataSourceConfig[];
  loading: DataLoading;
};

export type PullDataOptions = {
  repoDir: string;
  /** `config.data` (only the source fields are read). */
  data: DataSourcesInput;
  /** Where `${NAME}` in http headers and the postgres url is looked up; default: nothing is set. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Snapshot store, default `<repoDir>/.modelship/data`; `null` computes the version without writing. */
  snapshotsDir?: string | null;
  /** HTTP client for http sources (tests hand in their own); default: global fetch. */
  fetch?: typeof globalThis.fetch;
  /**
   * false: rows are still hashed, checked and written to the snapshot, but not kept (`rows` comes
   * back empty, and a reused snapshot is not read); for callers that stream the snapshot. Default true.
   */
  keepRows?: boolean;
};

/** Where a row came from: the source (path, URL or server) and its 1-based row there. */
export type RowOrigin = { source: string; row: number };

export type PulledData = {
  /** Every row of every source, concatenated in the order the sources are configured (none when `keepRows` is false). */
  rows: Row[];
  /** Every column seen, in first-seen order. */
  columns: string[];
  /** What was pulled: data version (content hash), row count, schema, sources. */
  snapshot: DataSnapshot;
  /** `.modelship/data/<version>` when written. */
  snapshotDir: string | undefined;
  /** true when an identical snapshot was already on disk (nothing rewritten, or sources not re-read). */
  reused: boolean;
  /** Source row number of `rows[index]`: the row in the file or the query result, not in a split. */
  origin(index: number): RowOrigin;
};

export const DEFAULT_SNAPSHOTS_DIR = ".modelship/data";
const BATCH_ROWS = 4096;

/**
 * Reads every configured source (files, HTTP APIs, SQLite, PostgreSQL) into rows, computes the
 * data version and, unless `snapshotsDir` is null, materialises the snapshot on disk. A file-only
 * configuration whose files are unchanged is read back from its snapshot.
 */
export async function pullData(opts: PullDataOptions): Promise<PulledData> {
  const store =
    opts.snapshotsDir === null ? undefined : (opts.snapshotsDir ?? join(opts.repoDir, DEFAULT_SNAPSHOTS_DIR));
  const ctx: SourceContext = {
    repoDir: opts.repoDir,
    loading: opts.data.loading,
    env: opts.env ?? {},
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(store ? { httpPrevious: (c: HttpSourceConfig) => loadHttpPages(store, c) } : {}),
    // Only a store can hold a snapshot to reuse, and only file-only pulls look one up.
    hashFilesFirst: store !== undefined && opts.data.sources.every((s) => s.kind === "file"),
  };
  const opened = await openSources(opts.data, ctx);
  const sources = opened.map((o) => o.source);
  if (store && sources.every((s) => s.description.kind === "file")) {
    const found = await findSnapshotFor(
      store,
      sources.map((s) => s.description),
    );
    // A snapshot removed or replaced meanwhile just means reading the sources.
    const rows = !found
      ? undefined
      : opts.keepRows === false
        ? []
        : await readSnapshotRows(found.dir, found.snapshot).catch(() => undefined);
    if (found && rows) {
      await Promise.all(sources.map((s) => s.close()));
      return pulled(rows, found.snapshot, found.dir, true);
    }
  }
  const writer = await createSnapshotWriter(store);
  try {
    const rows: Row[] = [];
    const parts: SnapshotPart[] = [];
    const schemas: Array<{ columns: ColumnSchema[]; rows: number }> = [];
    let expected: string[] | undefined;
    let total = 0;
    for (const source of sources) {
      const { columns, count } = await readSource(source, opts.keepRows === false ? undefined : rows, writer);
      // Descriptions of streamed sources (pages, ETags, hashes as read) are complete only now.
      parts.push({ source: source.description, firstRow: total, rows: count });
      schemas.push({ columns, rows: count });
      total += count;
      const names = columns.map((c) => c.name);
      if (expected === undefined) expected = names;
      else checkSameColumns(parts, expected, names);
    }
    const done = await writer.finish({ rows: total, columns: combineColumns(schemas), parts });
    if (store) await rememberHttpPages(store, opened, parts, done.snapshot.version);
    return pulled(rows, done.snapshot, done.dir, done.reused);
  } catch (err) {
    await writer.abort();
    await Promise.all(sources.map((s) => s.close()));
    throw err;
  }
}

/**
 * Appends a source's rows to `rows` (unless undefined) and to the snapshot; returns the source's
 * schema and row count. Batches a worker already serialised (with their piece's lines and schema)
 * are not looked at row by row.
 */
async function readSource(
  source: DataSource,
  rows: Row[] | undefined,
  writer: SnapshotWriter,
): Promise<{ columns: ColumnSchema[]; count: number }> {
  const own = createSchemaTracker();
  const parts: Array<{ columns: ColumnSchema[]; rows: number }> = [];
  let tracked = 0;
  let count = 0;
  for await (const batch of source.read({ batchRows: BATCH_ROWS })) {
    const meta = (batch as RowBatch)[PIECE_META];
    count += batch.length;
    if (rows) for (const row of batch) rows.push(row);
    if (meta === undefined) {
      for (const row of batch) {
        own.add(row);
        writer.add(row);
      }
      tracked += batch.length;
    } else if (meta) {
      parts.push({ columns: meta.columns, rows: meta.rows });
      for (const lines of meta.lines) writer.addBytes(lines);
    }
    await writer.flush();
  }
  const columns = combineColumns(
    tracked > 0 || parts.length === 0 ? [{ columns: own.columns(), rows: tracked }, ...parts] : parts,
  );
  return { columns, count };
}

async function rememberHttpPages(
  store: string,
  opened: OpenedSource[],
  parts: SnapshotPart[],
  version: string,
): Promise<void> {
  for (const [i, o] of opened.entries()) {
    if (o.config.kind !== "http" || !("pages" in o.source)) continue;
    const pages = (o.source as ReturnType<typeof createHttpSource>).pages();
    await saveHttpPages(store, o.config, { version, firstRow: parts[i]!.firstRow, pages });
  }
}

function pulled(rows: Row[], snapshot: DataSnapshot, dir: string | undefined, reused: boolean): PulledData {
  return {
    rows,
    columns: snapshot.columns.map((c) => c.name),
    snapshot,
    snapshotDir: dir,
    reused,
    origin(index) {
      const at = locateRow(snapshot.parts, index);
      if (!at) throw new RangeError(`row ${index} is not in the snapshot (${snapshot.rows} rows)`);
      return { source: describeSource(at.source), row: at.row };
    },
  };
}

/** Rows of all sources are concatenated: each source must bring the columns the first one has. */
function checkSameColumns(parts: SnapshotPart[], expected: string[], own: string[]): void {
  const missing = expected.filter((c) => !own.includes(c));
  const extra = own.filter((c) => !expected.includes(c));
  if (missing.length === 0 && extra.length === 0) return;
  const list = (cs: string[]) => cs.map((c) => `'${c}'`).join(", ");
  const what = [
    missing.length > 0 ? `lacks ${list(missing)}` : "",
    extra.length > 0 ? `has ${list(extra)} in addition` : "",
  ].filter(Boolean);
  throw new ModelshipError({
    code: "data-sources-columns-differ",
    message: `${describeSource(parts[parts.length - 1]!.source)} ${what.join(" and ")}, unlike ${describeSource(parts[0]!.source)}`,
    hint: "Rows from all sources are concatenated, so every source must have the same columns; select or rename them in the query, or drop the odd source.",
  });
}

export type { DataSource, Row };
