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
import { readParquetRows } from "./read-parquet-rows.ts";
import { readTextChunks } from "./read-text-chunks.ts";
import { readTextParallel } from "./read-text-parallel.ts";
import { createTextWorkerPool } from "./text-worker-pool.ts";

export type FileSourceContext = {
  repoDir: string;
  /** Bytes held per read (data.loading.bufferMiB). */
  bufferBytes: number;
  /** Longest row or line accepted, in characters (data.loading.maxRecordKiB). */
  maxRecordChars: number;
  /** Where the source is configured, for messages: e.g. `data.sources[0]`. */
  at: string;
  /** Worker threads for CSV and JSON-lines files larger than one buffer (0: none). */
  workers: number;
};

type ConcreteFormat = Exclude<FileFormat, "auto">;
type FileDescription = Extract<SourceDescription, { kind: "file" }>;

/**
 * One DataSource per file the entry names (a glob gives several, sorted). Each file is checked
 * (inside the repository, a regular file) and hashed before any row is read.
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
      const sha256 = await hashFile(file, ctx.bufferBytes);
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
      try {
        yield* readRows(file, description, ctx, opts.batchRows);
      } finally {
        await close();
      }
    },
    close,
  };
}

function readRows(
  file: RepoFile,
  d: FileDescription,
  ctx: FileSourceContext,
  batchRows: number,
): AsyncGenerator<Row[]> {
  const { handle, path } = file;
  const text = () =>
    readTextChunks({
      handle,
      path,
      bufferBytes: ctx.bufferBytes,
      ...(d.encoding ? { encoding: d.encoding } : {}),
    });
  if ((d.format === "csv" || d.format === "jsonl") && ctx.workers > 0 && file.bytes > ctx.bufferBytes) {
    return readWithWorkers(d.format, text(), path, ctx, batchRows);
  }
  switch (d.format) {
    case "csv":
      return readCsvRows({ text: text(), path, batchRows, maxRecordChars: ctx.maxRecordChars });
    case "jsonl":
      return readJsonlRows({ text: text(), path, batchRows, maxRecordChars: ctx.maxRecordChars });
    case "json":
      return readJsonArrayRows({ text: text(), path, batchRows });
    case "parquet":
      return readParquetRows({ handle, bytes: file.bytes, path, batchRows });
    case "arrow":
      return readArrowRows({ handle, path, batchRows, bufferBytes: ctx.bufferBytes });
  }
}

async function* readWithWorkers(
  kind: "csv" | "jsonl",
  text: AsyncIterable<string>,
  path: string,
  ctx: FileSourceContext,
  batchRows: number,
): AsyncGenerator<Row[]> {
  const pool = createTextWorkerPool(ctx.workers);
  try {
    yield* readTextParallel({ kind, text, path, batchRows, maxRecordChars: ctx.maxRecordChars, pool });
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
