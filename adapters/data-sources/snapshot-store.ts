import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import {
  createRowSerializer,
  DataSnapshotSchema,
  type ColumnSchema,
  type DataSnapshot,
  type SnapshotPart,
  type SourceDescription,
} from "../../core/data/data-snapshot.ts";
import { canonicalJson } from "../../core/data/sha256.ts";
import type { Row } from "./data-source.ts";
import { readJsonlRows } from "./read-json-rows.ts";
import { readTextChunks } from "./read-text-chunks.ts";

/** Files of one snapshot, `<store>/<version>/`. */
export const SNAPSHOT_FILES = { rows: "rows.jsonl", manifest: "snapshot.json" } as const;

export type SnapshotWriter = {
  add(row: Row): void;
  /** Rows already written as canonical JSON lines (UTF-8), each ending in a newline. */
  addBytes(lines: Uint8Array): void;
  /**
   * Hashes what was added and starts writing it; waits only for the write before it, so the file
   * is written while the next batch is read (call once per batch: the buffer stays one batch).
   */
  flush(): Promise<void>;
  finish(summary: {
    rows: number;
    columns: ColumnSchema[];
    parts: SnapshotPart[];
  }): Promise<{ snapshot: DataSnapshot; dir: string | undefined; reused: boolean }>;
  abort(): Promise<void>;
};

/**
 * Hashes rows as canonical JSON lines (the data version) and, with a store, writes them to a
 * staging directory renamed to `<store>/<version>` at the end: a crash leaves no half snapshot.
 */
export async function createSnapshotWriter(store: string | undefined): Promise<SnapshotWriter> {
  const hash = createHash("sha256");
  const serialize = createRowSerializer(canonicalJson);
  let bytes = 0;
  let rows: string[] = [];
  let pending: Uint8Array[] = [];
  let staging: string | undefined;
  let file: FileHandle | undefined;
  let writing: Promise<unknown> = Promise.resolve();
  if (store) {
    await mkdir(store, { recursive: true });
    staging = join(store, `.tmp-${randomBytes(6).toString("hex")}`);
    await mkdir(staging);
    file = await open(join(staging, SNAPSHOT_FILES.rows), "w");
  }
  const take = () => {
    if (rows.length > 0) pending.push(Buffer.from(rows.join(""), "utf8"));
    rows = [];
  };
  const flush = async () => {
    take();
    if (pending.length === 0) return;
    const chunks = pending;
    pending = [];
    for (const c of chunks) {
      hash.update(c);
      bytes += c.length;
    }
    await writing;
    if (!file) return;
    writing = file.writev(chunks);
    // Awaited by the next flush, finish or abort; until then a failure must not go unhandled.
    writing.catch(() => undefined);
  };
  return {
    add(row) {
      rows.push(`${serialize(row)}\n`);
    },
    addBytes(lines) {
      take();
      pending.push(lines);
    },
    flush,
    async finish(summary) {
      await flush();
      await writing;
      await file?.close();
      file = undefined;
      const snapshot: DataSnapshot = { schemaVersion: 1, version: hash.digest("hex"), bytes, ...summary };
      if (!store || !staging) return { snapshot, dir: undefined, reused: false };
      const dir = join(store, snapshot.version);
      // Reuse only an intact copy; a damaged one is replaced.
      const reused = (await readSnapshot(dir)) !== undefined;
      if (reused) await rm(staging, { recursive: true, force: true });
      else {
        await writeFile(join(staging, SNAPSHOT_FILES.manifest), `${JSON.stringify(snapshot, null, 2)}\n`);
        await rm(dir, { recursive: true, force: true });
        await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
          // Another pull of the same rows renamed its copy first: keep that one.
          if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
          await rm(staging, { recursive: true, force: true });
        });
      }
      await writeIndex(store, snapshot);
      // An identical snapshot already on disk keeps its manifest; the sources are this pull's.
      return { snapshot, dir, reused };
    },
    async abort() {
      await writing.catch(() => undefined);
      await file?.close().catch(() => undefined);
      if (staging) await rm(staging, { recursive: true, force: true });
    },
  };
}

/** The index maps what the sources were (paths and content hashes) to the version they gave. */
function indexKey(sources: readonly SourceDescription[]): string {
  return createHash("sha256").update(canonicalJson(sources)).digest("hex");
}

async function writeIndex(store: string, snapshot: DataSnapshot): Promise<void> {
  const dir = join(store, "index");
  await mkdir(dir, { recursive: true });
  const key = indexKey(snapshot.parts.map((p) => p.source));
  await writeFile(join(dir, `${key}.json`), `${JSON.stringify({ version: snapshot.version })}\n`);
}

/** A stored, intact snapshot made from exactly these sources, if any. */
export async function findSnapshotFor(
  store: string,
  sources: readonly SourceDescription[],
): Promise<{ dir: string; snapshot: DataSnapshot } | undefined> {
  const pointer = await readJson(join(store, "index", `${indexKey(sources)}.json`));
  const version = (pointer as { version?: unknown } | undefined)?.version;
  if (typeof version !== "string" || !/^[0-9a-f]{64}$/.test(version)) return undefined;
  return readSnapshot(join(store, version));
}

/** The manifest of `<store>/<version>`, when its rows still hash to its version. */
export async function readSnapshot(
  dir: string,
): Promise<{ dir: string; snapshot: DataSnapshot } | undefined> {
  const parsed = DataSnapshotSchema.safeParse(await readJson(join(dir, SNAPSHOT_FILES.manifest)));
  if (!parsed.success) return undefined;
  const actual = await hashFile(join(dir, SNAPSHOT_FILES.rows)).catch(() => undefined);
  return actual === parsed.data.version ? { dir, snapshot: parsed.data } : undefined;
}

/** Every row of a stored snapshot, in order. */
export async function readSnapshotRows(dir: string, snapshot: DataSnapshot): Promise<Row[]> {
  const path = join(dir, SNAPSHOT_FILES.rows);
  const handle = await open(path, "r");
  try {
    const rows: Row[] = [];
    const text = readTextChunks({ handle, path, bufferBytes: 1 << 20 });
    for await (const batch of readJsonlRows({
      text,
      path,
      batchRows: 4096,
      maxRecordChars: Number.MAX_SAFE_INTEGER,
    })) {
      for (const row of batch) rows.push(row);
    }
    if (rows.length !== snapshot.rows)
      throw new Error(`${path} holds ${rows.length} rows, its manifest says ${snapshot.rows}`);
    return rows;
  } finally {
    await handle.close();
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}
