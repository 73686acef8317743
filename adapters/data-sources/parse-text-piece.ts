import { parse } from "csv-parse/sync";
import { createRowSerializer, createSchemaTracker } from "../../core/data/data-snapshot.ts";
import { canonicalJson } from "../../core/data/sha256.ts";
import { encodePiece, type ColumnarPiece } from "./columnar-piece.ts";
import type { PieceMeta } from "./data-source.ts";
import { csvCell } from "./read-csv-rows.ts";

/** A run of whole records cut from a text file, parsed off the main thread. */
export type TextPiece = {
  kind: "csv" | "jsonl";
  text: string;
  /** CSV: the header's column names. */
  header?: string[];
  /** Line of the file the piece starts on (1-based). */
  firstLine: number;
  maxRecordChars: number;
};

/** Why a piece could not be parsed: the file's line and a code, never the text. */
export type PieceFailure = {
  ok: false;
  kind: "csv" | "jsonl" | "parquet";
  code: string | undefined;
  line: number | undefined;
  message?: string;
};

/**
 * A parsed piece: CSV as columns (typed arrays, dictionary-encoded strings), JSON-lines as whole
 * objects (their keys may differ from row to row); both with the canonical lines and schema.
 */
export type ParsedPiece =
  | { ok: true; piece: ColumnarPiece }
  | { ok: true; objects: Record<string, unknown>[]; meta: PieceMeta }
  | PieceFailure;

/** Parses one piece; shared by the worker and the single-threaded fallback. */
export function parseTextPiece(piece: TextPiece): ParsedPiece {
  return piece.kind === "csv" ? parseCsvPiece(piece) : parseJsonlPiece(piece);
}

function parseCsvPiece(piece: TextPiece): ParsedPiece {
  const header = piece.header ?? [];
  const columns = header.map((): unknown[] => []);
  const split = splitPlainCsv(piece, columns);
  if (split === "fallback") {
    for (const c of columns) c.length = 0;
    const failed = parseQuotedCsv(piece, columns);
    if (failed) return failed;
  } else if (split) return split;
  return { ok: true, piece: encodePiece(header, columns, columns[0]?.length ?? 0) };
}

const CR_ALONE = /\r(?!\n)/;

/**
 * The common case without csv-parse: no quote anywhere, so every newline ends a record and every
 * comma ends a field. Anything csv-parse would treat specially (a quote, a lone CR, blanks to
 * trim, an over-long row) makes it answer "fallback", and the piece goes to csv-parse.
 */
function splitPlainCsv(piece: TextPiece, columns: unknown[][]): PieceFailure | "fallback" | undefined {
  const { text } = piece;
  if (text.includes('"') || (text.includes("\r") && CR_ALONE.test(text))) return "fallback";
  const width = columns.length;
  let pos = 0;
  let line = piece.firstLine;
  while (pos < text.length) {
    let nl = text.indexOf("\n", pos);
    if (nl === -1) nl = text.length;
    const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (end - pos > piece.maxRecordChars) return "fallback";
    if (end > pos) {
      let c = 0;
      for (let a = pos; ; c++) {
        let comma = text.indexOf(",", a);
        if (comma === -1 || comma > end) comma = end;
        if (comma > a && (blank(text.charCodeAt(a)) || blank(text.charCodeAt(comma - 1)))) return "fallback";
        if (c < width) columns[c]!.push(csvCell(text.slice(a, comma)));
        if (comma === end) break;
        a = comma + 1;
      }
      if (c + 1 !== width) {
        if (c === 0 && text.slice(pos, end).trim() === "") return "fallback";
        return { ok: false, kind: "csv", code: "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH", line };
      }
    }
    pos = nl + 1;
    line++;
  }
  return undefined;
}

/** Characters csv-parse's `trim` may remove (conservatively: any space, control or Unicode blank). */
function blank(code: number): boolean {
  return code <= 32 || code === 0xa0 || code >= 0x1680;
}

function parseQuotedCsv(piece: TextPiece, columns: unknown[][]): PieceFailure | undefined {
  let records: string[][];
  try {
    records = parse(piece.text, {
      skip_empty_lines: true,
      trim: true,
      max_record_size: piece.maxRecordChars,
      relax_column_count: false,
    }) as string[][];
  } catch (err) {
    const e = err as { code?: string; lines?: number };
    return {
      ok: false,
      kind: "csv",
      code: e.code,
      line: e.lines !== undefined ? piece.firstLine + e.lines - 1 : undefined,
    };
  }
  for (const [i, record] of records.entries()) {
    if (record.length !== columns.length) {
      return {
        ok: false,
        kind: "csv",
        code: "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH",
        line: lineOfRecord(piece, i),
      };
    }
    for (const [c, v] of record.entries()) columns[c]!.push(csvCell(v));
  }
  return undefined;
}

/** Line of the i-th non-empty line (records without embedded newlines); only for messages. */
function lineOfRecord(piece: TextPiece, index: number): number {
  const lines = piece.text.split("\n");
  let seen = -1;
  for (const [k, l] of lines.entries()) {
    if (l.trim() !== "") seen++;
    if (seen === index) return piece.firstLine + k;
  }
  return piece.firstLine;
}

function parseJsonlPiece(piece: TextPiece): ParsedPiece {
  const objects: Record<string, unknown>[] = [];
  for (const [k, text] of piece.text.split("\n").entries()) {
    if (text.length > piece.maxRecordChars)
      return { ok: false, kind: "jsonl", code: "too-long", line: piece.firstLine + k };
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, kind: "jsonl", code: "invalid", line: piece.firstLine + k };
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { ok: false, kind: "jsonl", code: "not-object", line: piece.firstLine + k };
    }
    objects.push(value as Record<string, unknown>);
  }
  const serialize = createRowSerializer(canonicalJson);
  const schema = createSchemaTracker();
  let lines = "";
  for (const o of objects) {
    lines += `${serialize(o)}\n`;
    schema.add(o);
  }
  return {
    ok: true,
    objects,
    meta: { lines: [new TextEncoder().encode(lines)], columns: schema.columns(), rows: objects.length },
  };
}
