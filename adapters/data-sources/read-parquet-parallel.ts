import type { FileHandle } from "node:fs/promises";
import { parquetMetadata } from "hyparquet";
import { ModelshipError } from "../../core/errors.ts";
import { pieceBatches } from "./columnar-piece.ts";
import type { Row } from "./data-source.ts";
import type { ParsedPiece } from "./parse-text-piece.ts";
import { createPieceWorkerPool, type PieceWorkerPool } from "./piece-worker-pool.ts";
import { invalidParquet, readParquetRows } from "./read-parquet-rows.ts";

type Group = { rowStart: number; rowEnd: number; start: number; end: number };

/**
 * Parquet decoded by a worker pool, a row group per piece. The file is read once, front to back,
 * and every byte goes to `onBytes` (the file's hash) as it is read; each row group's bytes go to
 * a worker, at most `pool.size + 1` groups in flight. Rows come out in file order. A footer that
 * differs from the one read first means the file changed meanwhile: an error, not mixed rows.
 */
export async function* readParquetParallel(opts: {
  handle: FileHandle;
  bytes: number;
  path: string;
  batchRows: number;
  bufferBytes: number;
  /** Worker threads; a file of one row group is decoded on this thread. */
  workers: number;
  onBytes(bytes: Uint8Array): void;
}): AsyncGenerator<Row[]> {
  const { handle, path } = opts;
  const footer = await readFooter(handle, opts.bytes, path);
  const groups = rowGroups(footer, path);
  if (!inFileOrder(groups, opts.bytes - footer.length)) {
    // Unusual layout: hash the file, then read it group by group on this thread.
    await readRange(handle, 0, opts.bytes, opts.bufferBytes, path, opts.onBytes);
    yield* readParquetRows({ handle, bytes: opts.bytes, path, batchRows: opts.batchRows });
    return;
  }
  const pool = createPieceWorkerPool(groups.length > 1 ? opts.workers : 0, "parquet");
  try {
    yield* decodeGroups(opts, footer, groups, pool);
  } finally {
    await pool.close();
  }
}

async function* decodeGroups(
  opts: {
    handle: FileHandle;
    bytes: number;
    path: string;
    batchRows: number;
    bufferBytes: number;
    onBytes(bytes: Uint8Array): void;
  },
  footer: Uint8Array,
  groups: readonly Group[],
  pool: PieceWorkerPool,
): AsyncGenerator<Row[]> {
  const { handle, path } = opts;
  const inflight: Array<Promise<ParsedPiece>> = [];
  let position = 0;
  for (const g of groups) {
    await readRange(handle, position, g.start, opts.bufferBytes, path, opts.onBytes);
    const bytes = await readAt(handle, new Uint8Array(g.end - g.start), g.start, path);
    opts.onBytes(bytes);
    position = g.end;
    const task = { kind: "parquet" as const, bytes, offset: g.start, byteLength: opts.bytes, footer };
    inflight.push(pool.run({ ...task, rowStart: g.rowStart, rowEnd: g.rowEnd }));
    while (inflight.length > pool.size) yield* batchesOf(await inflight.shift()!, path, opts.batchRows);
  }
  await readRange(handle, position, opts.bytes - footer.length, opts.bufferBytes, path, opts.onBytes);
  position = opts.bytes - footer.length;
  const tail = await readAt(handle, new Uint8Array(footer.length), position, path);
  opts.onBytes(tail);
  if (Buffer.compare(tail, footer) !== 0) throw changed(path);
  while (inflight.length > 0) yield* batchesOf(await inflight.shift()!, path, opts.batchRows);
}

function* batchesOf(parsed: ParsedPiece, path: string, batchRows: number): Generator<Row[]> {
  if (!parsed.ok) throw invalidParquet(path, new Error(parsed.message ?? "unreadable"));
  if (!("piece" in parsed)) throw new Error("a Parquet row group came back as objects");
  yield* pieceBatches(parsed.piece, batchRows);
}

/** The metadata with its 4-byte length and the closing `PAR1`, from the end of the file. */
async function readFooter(handle: FileHandle, bytes: number, path: string): Promise<Uint8Array> {
  if (bytes < 12) throw invalidParquet(path, new Error("too short to be Parquet"));
  const tail = await readAt(handle, new Uint8Array(8), bytes - 8, path);
  const view = new DataView(tail.buffer, tail.byteOffset, 8);
  if (view.getUint32(4, true) !== 0x31524150) throw invalidParquet(path, new Error("footer != PAR1"));
  const length = view.getUint32(0, true) + 8;
  if (length > bytes - 4) throw invalidParquet(path, new Error("metadata length exceeds the file"));
  return readAt(handle, new Uint8Array(length), bytes - length, path);
}

/** Row groups with their rows and byte ranges, in file order. */
function rowGroups(footer: Uint8Array, path: string): Group[] {
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(footer);
  } catch (err) {
    throw invalidParquet(path, err);
  }
  const out: Group[] = [];
  let rowStart = 0;
  for (const g of metadata.row_groups) {
    let start = Infinity;
    let end = 0;
    for (const c of g.columns) {
      if (!c.meta_data) throw invalidParquet(path, new Error("column metadata is missing"));
      const offset = Number(c.meta_data.dictionary_page_offset || c.meta_data.data_page_offset);
      start = Math.min(start, offset);
      end = Math.max(end, offset + Number(c.meta_data.total_compressed_size));
    }
    const rowEnd = rowStart + Number(g.num_rows);
    if (g.columns.length > 0) out.push({ rowStart, rowEnd, start, end });
    rowStart = rowEnd;
  }
  return out;
}

/** Whether the groups lie one after another in row order, between the header and the footer. */
function inFileOrder(groups: readonly Group[], footerStart: number): boolean {
  let at = 4;
  for (const g of groups) {
    if (g.start < at) return false;
    at = g.end;
  }
  return at <= footerStart;
}

/** Reads `[from, to)` in steps of at most `bufferBytes`, handing each step to `onBytes`. */
async function readRange(
  handle: FileHandle,
  from: number,
  to: number,
  bufferBytes: number,
  path: string,
  onBytes: (bytes: Uint8Array) => void,
): Promise<void> {
  const buf = new Uint8Array(Math.max(1, Math.min(bufferBytes, to - from)));
  for (let at = from; at < to;) {
    const chunk = await readAt(handle, buf.subarray(0, Math.min(buf.length, to - at)), at, path);
    onBytes(chunk);
    at += chunk.length;
  }
}

async function readAt(
  handle: FileHandle,
  out: Uint8Array,
  position: number,
  path: string,
): Promise<Uint8Array> {
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await handle.read(out, done, out.length - done, position + done);
    if (bytesRead === 0) throw changed(path);
    done += bytesRead;
  }
  return out;
}

function changed(path: string): ModelshipError {
  return new ModelshipError({
    code: "data-file-changed",
    message: `${path} changed while it was being read`,
    where: { file: path },
    hint: "Pull again once the file is no longer being written.",
  });
}
