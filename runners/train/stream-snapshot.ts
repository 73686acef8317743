import { createReadStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DEFAULT_SNAPSHOTS_DIR, type DataSourcesInput } from "../../adapters/data-sources/pull-data.ts";
import { openSources } from "../../adapters/data-sources/open-sources.ts";
import {
  createSnapshotWriter,
  findSnapshotFor,
  SNAPSHOT_FILES,
} from "../../adapters/data-sources/snapshot-store.ts";
import {
  combineColumns,
  createSchemaTracker,
  describeSource,
  type ColumnSchema,
  type DataSnapshot,
  type SnapshotPart,
} from "../../core/data/data-snapshot.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { Row } from "../../adapters/data-sources/data-source.ts";

export type StreamedSnapshot = { dir: string; snapshot: DataSnapshot; reused: boolean };

/**
 * Materialises the configured sources into the snapshot store without holding their rows: each
 * batch is hashed, written and dropped. A file-only configuration whose files are unchanged
 * reuses the stored snapshot. The snapshot is what streaming training reads, epoch after epoch.
 */
export async function streamSnapshot(opts: {
  repoDir: string;
  data: DataSourcesInput;
  env: Readonly<Record<string, string | undefined>>;
  snapshotsDir?: string;
}): Promise<StreamedSnapshot> {
  const store = opts.snapshotsDir ?? join(opts.repoDir, DEFAULT_SNAPSHOTS_DIR);
  const opened = await openSources(opts.data, {
    repoDir: opts.repoDir,
    loading: opts.data.loading,
    env: opts.env,
  });
  const sources = opened.map((o) => o.source);
  if (sources.every((s) => s.description.kind === "file")) {
    const found = await findSnapshotFor(
      store,
      sources.map((s) => s.description),
    );
    if (found) {
      await Promise.all(sources.map((s) => s.close()));
      return { ...found, reused: true };
    }
  }
  const writer = await createSnapshotWriter(store);
  try {
    const parts: SnapshotPart[] = [];
    const schemas: Array<{ columns: ColumnSchema[]; rows: number }> = [];
    let total = 0;
    for (const source of sources) {
      const own = createSchemaTracker();
      let rows = 0;
      for await (const batch of source.read({ batchRows: 4096 })) {
        for (const row of batch) {
          own.add(row);
          writer.add(row);
        }
        rows += batch.length;
        await writer.flush();
      }
      parts.push({ source: source.description, firstRow: total, rows });
      schemas.push({ columns: own.columns(), rows });
      checkSameColumns(parts, schemas);
      total += rows;
    }
    const done = await writer.finish({ rows: total, columns: combineColumns(schemas), parts });
    return { dir: done.dir!, snapshot: done.snapshot, reused: done.reused };
  } catch (err) {
    await writer.abort();
    await Promise.all(sources.map((s) => s.close()));
    throw err;
  }
}

function checkSameColumns(
  parts: readonly SnapshotPart[],
  schemas: ReadonlyArray<{ columns: ColumnSchema[] }>,
): void {
  const first = schemas[0]!.columns.map((c) => c.name);
  const own = schemas[schemas.length - 1]!.columns.map((c) => c.name);
  const differ = first.length !== own.length || first.some((c) => !own.includes(c));
  if (!differ) return;
  throw new ModelshipError({
    code: "data-sources-columns-differ",
    message: `${describeSource(parts[parts.length - 1]!.source)} has the columns ${own.join(", ")}, unlike ${describeSource(parts[0]!.source)} (${first.join(", ")})`,
    hint: "Rows from all sources are concatenated, so every source must have the same columns; select or rename them in the query, or drop the odd source.",
  });
}

/**
 * The snapshot's rows in order, `batchRows` at a time, each with its 0-based position: one line
 * of `rows.jsonl` is parsed at a time, so memory holds one batch whatever the snapshot's size.
 */
export async function* readSnapshotBatches(
  dir: string,
  batchRows = 4096,
): AsyncGenerator<{ first: number; rows: Row[] }> {
  const path = join(dir, SNAPSHOT_FILES.rows);
  const lines = createInterface({
    input: createReadStream(path, { highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  });
  let rows: Row[] = [];
  let first = 0;
  for await (const line of lines) {
    if (line === "") continue;
    rows.push(JSON.parse(line) as Row);
    if (rows.length === batchRows) {
      yield { first, rows };
      first += rows.length;
      rows = [];
    }
  }
  if (rows.length > 0) yield { first, rows };
}
