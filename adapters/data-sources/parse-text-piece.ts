import { parse } from "csv-parse/sync";
import { createRowSerializer } from "../../core/data/data-snapshot.ts";
import { canonicalJson } from "../../core/data/sha256.ts";
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

/**
 * Parsed piece: rows as one flat, row-major list of values under `columns` for CSV (cheap to
 * pass between threads), or whole objects for JSON-lines. A failure carries the file's line and
 * a code, never the text.
 */
export type ParsedPiece =
  | { ok: true; columns: string[]; values: unknown[]; rows: number; lines: string }
  | { ok: true; objects: unknown[]; rows: number; lines: string }
  | { ok: false; kind: "csv" | "jsonl"; code: string | undefined; line: number | undefined; column?: number };

/** Parses one piece; shared by the worker and the single-threaded fallback. */
export function parseTextPiece(piece: TextPiece): ParsedPiece {
  return piece.kind === "csv" ? parseCsvPiece(piece) : parseJsonlPiece(piece);
}

function parseCsvPiece(piece: TextPiece): ParsedPiece {
  const header = piece.header ?? [];
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
  const values: unknown[] = [];
  const serialize = createRowSerializer(canonicalJson);
  let lines = "";
  for (const [i, record] of records.entries()) {
    if (record.length !== header.length) {
      return {
        ok: false,
        kind: "csv",
        code: "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH",
        line: lineOfRecord(piece, i),
      };
    }
    const row: Record<string, unknown> = {};
    for (const [c, v] of record.entries()) {
      const value = csvCell(v);
      values.push(value);
      row[header[c]!] = value;
    }
    lines += `${serialize(row)}\n`;
  }
  return { ok: true, columns: header, values, rows: records.length, lines };
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
  const objects: unknown[] = [];
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
    objects.push(value);
  }
  const serialize = createRowSerializer(canonicalJson);
  const lines = objects.map((o) => `${serialize(o as Record<string, unknown>)}\n`).join("");
  return { ok: true, objects, rows: objects.length, lines };
}
