import { createHash } from "node:crypto";
import { extname } from "node:path";
import type { FileFormat, FileSourceConfig } from "../../core/config/data-sources-schema.ts";
import type { SourceDescription } from "../../core/data/data-snapshot.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { DataSource, ReadOptions, Row } from "./data-source.ts";
import { expandRepoPaths, openRepoFile, type RepoFile } from "./open-repo-file.ts";
import { readArrowRows } from "./read-arrow-rows.ts";
import { readCsvRows } from "./read-csv-rows.ts";
import { readJsonArrayRows, readJsonlRows } from "./read-json-rows.ts";
import { createPieceWorkerPool, type PieceWorkerPool } from "./piece-worker-pool.ts";
import { readParquetParallel } from "./read-parquet-parallel.ts";
import { readTextChunks } from "./read-text-chunks.ts";
import { readTextParallel } from "./read-text-parallel.ts";

export type FileSourceContext = {
  repoDir: string;
  /** Bytes held per read (data.loading.bufferMiB). */
  bufferBytes: number;
  /** Longest row or line accepted, in characters (data.loading.maxRecordKiB). */
  maxRecordChars: number;
  /** Where the source is configured, for messages: e.g. `data.sources[0]`. */
  at: string;
  /** Worker threads for CSV and JSON-lines files larger than one buffer and Parquet files of several row groups (0: none). */
  workers: number;
  /**
   * Hash each file when it is opened, before any row is read (a snapshot lookup needs the
   * hashes first). Either way a file read front to back is hashed again as it is read, and the
   * description gets that hash: the one of the bytes the rows came from.
   */
  hashFirst: boolean;
};

type ConcreteFormat = Exclude<FileFormat, "auto">;
/** The sha256 of no bytes: what a description holds until its file is read. */
const UNREAD = createHash("sha256").digest("hex");
type FileDescription = Extract<SourceDescription, { kind: "file" }>;

/**
 * One DataSource per file the entry names (a glob gives several, sorted). Each file is checked
 * (inside the repository, a regular file) when opened; its sha256 is known after it is read
 * (before, with `hashFirst`, and always for Arrow, whose reader owns the stream).
 */
export async function createFileSources(
  config: FileSourceConfig,
  ctx: FileSourceContext,
): Promise<DataSource[]> {
  const paths = await expandRepoPaths({ repoDir: ctx.repoDir, path: config.path, at: ctx.at });
  const out: DataSource[] = [];
  for (const path of paths) {
    const format = config.format === "auto" ? formatFromExtension(path, ctx.at) : config.format;
    const file = await openRepoFile({ repoDir: ctx.repoDir, path, at: ctx.at });
    try {
      const sha256 = ctx.hashFirst || format === "arrow" ? await hashFile(file, ctx.bufferBytes) : UNREAD;
      out.push(
        fileSource(
          file,
          { kind: "file", path, format, ...encodingOf(config), bytes: file.bytes, sha256 },
          ctx,
        ),
      );
    } catch (err) {
      await file.handle.close();
      throw err;
    }
  }
  return out;
}

function encodingOf(config: FileSourceConfig): { encoding?: string } {
  return config.encoding ? { encoding: config.encoding } : {};
}

function fileSource(file: RepoFile, description: FileDescription, ctx: FileSourceContext): DataSource {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await file.handle.close();
  };
  return {
    description,
    async *read(opts: ReadOptions): AsyncGenerator<Row[]> {
      const hash = createHash("sha256");
      try {
        const hashed = yield* readRows(file, description, ctx, opts.batchRows, (b) => hash.update(b));
        if (hashed) description.sha256 = hash.digest("hex");
      } finally {
        await close();
      }
    },
    close,
  };
}

/** Yields the file's rows; returns true when every byte went through `onBytes` in order. */
async function* readRows(
  file: RepoFile,
  d: FileDescription,
  ctx: FileSourceContext,
  batchRows: number,
  onBytes: (bytes: Uint8Array) => void,
): AsyncGenerator<Row[], boolean> {
  const { handle, path } = file;
  const text = readTextChunks({
    handle,
    path,
    bufferBytes: ctx.bufferBytes,
    onBytes,
    ...(d.encoding ? { encoding: d.encoding } : {}),
  });
  const maxRecordChars = ctx.maxRecordChars;
  const parallel = ctx.workers > 0 && file.bytes > ctx.bufferBytes;
  switch (d.format) {
    case "csv":
    case "jsonl": {
      const kind = d.format;
      if (parallel)
        yield* withPool(ctx.workers, (pool) =>
          readTextParallel({ kind, text, path, batchRows, maxRecordChars, pool }),
        );
      else if (kind === "csv") yield* readCsvRows({ text, path, batchRows, maxRecordChars });
      else yield* readJsonlRows({ text, path, batchRows, maxRecordChars });
      return true;
    }
    case "json":
      yield* readJsonArrayRows({ text, path, batchRows, maxRecordChars });
      return true;
    case "parquet":
      // Row groups decode as columns (on this thread without workers): no per-row work here.
      yield* readParquetParallel({
        handle,
        bytes: file.bytes,
        path,
        batchRows,
        bufferBytes: ctx.bufferBytes,
        workers: ctx.workers,
        onBytes,
      });
      return true;
    case "arrow":
      yield* readArrowRows({ handle, path, batchRows, bufferBytes: ctx.bufferBytes });
      return false;
  }
}

async function* withPool(
  workers: number,
  read: (pool: PieceWorkerPool) => AsyncGenerator<Row[]>,
): AsyncGenerator<Row[]> {
  const pool = createPieceWorkerPool(workers);
  try {
    yield* read(pool);
  } finally {
    await pool.close();
  }
}

async function hashFile(file: RepoFile, bufferBytes: number): Promise<string> {
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(Math.min(bufferBytes, Math.max(1, file.bytes)));
  let position = 0;
  for (;;) {
    const { bytesRead } = await file.handle.read(buf, 0, buf.length, position);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest("hex");
}

const EXTENSIONS: Record<string, ConcreteFormat> = {
  ".csv": "csv",
  ".json": "json",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".parquet": "parquet",
  ".arrow": "arrow",
  ".feather": "arrow",
  ".ipc": "arrow",
};

function formatFromExtension(path: string, at: string): ConcreteFormat {
  const ext = extname(path).toLowerCase();
  const format = EXTENSIONS[ext];
  if (format) return format;
  throw new ModelshipError({
    code: "data-format-unknown",
    message: `${at}: cannot tell the format of ${path} from its extension '${ext}'`,
    where: { file: path },
    hint: "Use .csv, .json, .jsonl/.ndjson, .parquet or .arrow/.feather, or set format on the source.",
  });
}
