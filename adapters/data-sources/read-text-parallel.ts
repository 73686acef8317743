import { parse } from "csv-parse/sync";
import { ModelshipError } from "../../core/errors.ts";
import { pieceBatches } from "./columnar-piece.ts";
import { PIECE_META, type Row, type RowBatch } from "./data-source.ts";
import type { ParsedPiece, PieceFailure, TextPiece } from "./parse-text-piece.ts";
import type { PieceWorkerPool } from "./piece-worker-pool.ts";
import { asCsvError, checkHeader } from "./read-csv-rows.ts";

/**
 * CSV or JSON-lines parsed by a worker pool: the text is cut at record boundaries (a newline
 * outside quotes) into pieces of at most one read buffer (about a million characters where the
 * buffer is larger); at most `pool.size + 1` pieces are in flight, so memory stays a few buffers
 * whatever the file size. Rows come out in file order.
 */
export async function* readTextParallel(opts: {
  kind: "csv" | "jsonl";
  text: AsyncIterable<string>;
  path: string;
  batchRows: number;
  maxRecordChars: number;
  pool: PieceWorkerPool;
}): AsyncGenerator<Row[]> {
  const { kind, path, pool } = opts;
  let carry = "";
  let header: string[] | undefined;
  let line = 1;
  const inflight: Array<Promise<ParsedPiece>> = [];
  const send = (text: string) => {
    const piece: TextPiece = {
      kind,
      text,
      firstLine: line,
      maxRecordChars: opts.maxRecordChars,
      ...(header ? { header } : {}),
    };
    inflight.push(pool.run(piece));
    line += countNewlines(text);
  };
  for await (const chunk of opts.text) {
    let text = carry + chunk;
    if (kind === "csv" && header === undefined) {
      const end = recordEnd(text, 0);
      if (end < 0) {
        carry = text;
        continue;
      }
      header = parseHeader(text.slice(0, end + 1), path, opts.maxRecordChars);
      text = text.slice(end + 1);
      line = 2;
    }
    const cut = kind === "csv" ? lastRecordEnd(text) : text.lastIndexOf("\n");
    carry = cut < 0 ? text : text.slice(cut + 1);
    if (carry.length > opts.maxRecordChars) throw tooLong(kind, path, line);
    for (const piece of cutPieces(kind, cut < 0 ? "" : text.slice(0, cut + 1))) {
      send(piece);
      while (inflight.length > pool.size) yield* toBatches(await inflight.shift()!, path, opts.batchRows);
    }
  }
  if (kind === "csv" && header === undefined && carry.trim() !== "") {
    header = parseHeader(carry, path, opts.maxRecordChars);
    carry = "";
  }
  if (carry.trim() !== "") send(carry);
  while (inflight.length > 0) yield* toBatches(await inflight.shift()!, path, opts.batchRows);
}

/** Characters per piece: small enough that the workers start early and finish together. */
const PIECE_CHARS = 1 << 20;

/** Whole records (the text starts and ends at record boundaries) in runs of about PIECE_CHARS. */
function* cutPieces(kind: "csv" | "jsonl", text: string): Generator<string> {
  let pos = 0;
  while (text.length - pos > 2 * PIECE_CHARS) {
    const window = text.slice(pos, pos + PIECE_CHARS);
    const end = kind === "csv" ? lastRecordEnd(window) : window.lastIndexOf("\n");
    if (end < 0) break;
    yield text.slice(pos, pos + end + 1);
    pos += end + 1;
  }
  if (pos < text.length) yield text.slice(pos);
}

function* toBatches(parsed: ParsedPiece, path: string, batchRows: number): Generator<RowBatch> {
  if (!parsed.ok) throw pieceError(parsed, path);
  if ("piece" in parsed) {
    yield* pieceBatches(parsed.piece, batchRows);
    return;
  }
  for (let i = 0; i < parsed.objects.length; i += batchRows) {
    const batch: RowBatch = parsed.objects.slice(i, i + batchRows);
    batch[PIECE_META] = i === 0 ? parsed.meta : null;
    yield batch;
  }
}

function parseHeader(text: string, path: string, maxRecordChars: number): string[] {
  let records: string[][];
  try {
    records = parse(text, {
      trim: true,
      skip_empty_lines: true,
      max_record_size: maxRecordChars,
      to_line: 1,
    }) as string[][];
  } catch (err) {
    throw asCsvError(err, path);
  }
  return checkHeader(records[0] ?? [], path);
}

/** Index of the newline ending the record that starts at `from` (quotes balanced), or -1. */
function recordEnd(text: string, from: number): number {
  let inQuotes = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) inQuotes = !inQuotes;
    else if (c === 10 && !inQuotes) return i;
  }
  return -1;
}

/** Index of the last newline outside quotes (the text starts at a record boundary), or -1. */
export function lastRecordEnd(text: string): number {
  if (text.indexOf('"') === -1) return text.lastIndexOf("\n");
  let inQuotes = false;
  let last = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) inQuotes = !inQuotes;
    else if (c === 10 && !inQuotes) last = i;
  }
  return last;
}

function countNewlines(text: string): number {
  let n = 0;
  let i = text.indexOf("\n");
  while (i !== -1) {
    n++;
    i = text.indexOf("\n", i + 1);
  }
  return n;
}

function pieceError(p: PieceFailure, path: string): ModelshipError {
  if (p.kind === "csv") return asCsvError({ code: p.code, lines: p.line }, path) as ModelshipError;
  if (p.code === "too-long") return tooLong("jsonl", path, p.line ?? 0);
  const where = p.line !== undefined ? { file: path, line: p.line } : { file: path };
  return new ModelshipError(
    p.code === "not-object"
      ? {
          code: "data-row-not-object",
          message: `${path} line ${p.line} is not an object`,
          where,
          hint: "Each row must be an object of column: value.",
        }
      : {
          code: "data-invalid-jsonl",
          message: `${path} line ${p.line} is not valid JSON`,
          where,
          hint: "JSON-lines files hold one JSON object per line.",
        },
  );
}

function tooLong(kind: "csv" | "jsonl", path: string, line: number): ModelshipError {
  return new ModelshipError({
    code: kind === "csv" ? "data-invalid-csv" : "data-record-too-long",
    message: `${path} line ${line}: a ${kind === "csv" ? "row" : "line"} is longer than data.loading.maxRecordKiB`,
    where: { file: path, line },
    hint: "Each line must hold one row; raise data.loading.maxRecordKiB if rows really are that long.",
  });
}
