import { mergeTypes, typeOf, type ColumnSchema, type ColumnType } from "../../core/data/data-snapshot.ts";
import { canonicalJson } from "../../core/data/sha256.ts";
import { PIECE_META, type Row, type RowBatch } from "./data-source.ts";

/**
 * One column of a parsed piece, in a form that crosses threads cheaply: numbers as a
 * `Float64Array` (NaN is null), repeated strings dictionary-encoded (code -1 is null), anything
 * else as a plain list.
 */
export type PieceColumn =
  | { name: string; kind: "number"; values: Float64Array }
  | { name: string; kind: "string"; dict: string[]; codes: Int32Array }
  | { name: string; kind: "any"; values: unknown[] };

/**
 * Rows parsed off the main thread: columns, their schema, and the rows as canonical JSON lines
 * (UTF-8, as the snapshot stores and hashes them), so the main thread neither serialises nor
 * inspects each row.
 */
export type ColumnarPiece = {
  rows: number;
  columns: PieceColumn[];
  schema: ColumnSchema[];
  lines: Uint8Array[];
};

/**
 * Columns of equal length (every row has every column; values are plain JSON values, or numbers
 * already in a `Float64Array` with NaN for null) as a piece.
 */
export function encodePiece(
  names: readonly string[],
  values: ReadonlyArray<unknown[] | Float64Array>,
  rows: number,
): ColumnarPiece {
  return pieceOf(
    names.map((name, c) => encodeColumn(name, values[c]!)),
    rows,
  );
}

/** Columns already encoded (each `rows` long) as a piece: their schema and canonical lines. */
export function pieceOf(columns: PieceColumn[], rows: number): ColumnarPiece {
  return { rows, columns, schema: columns.map(columnSchema), lines: canonicalLines(columns, rows) };
}

/** The buffers a piece can hand over instead of copying them. */
export function pieceTransfers(piece: ColumnarPiece): ArrayBuffer[] {
  const out = piece.lines.map((b) => b.buffer as ArrayBuffer);
  for (const c of piece.columns) {
    if (c.kind === "number") out.push(c.values.buffer as ArrayBuffer);
    else if (c.kind === "string") out.push(c.codes.buffer as ArrayBuffer);
  }
  return out;
}

function encodeColumn(name: string, values: readonly unknown[] | Float64Array): PieceColumn {
  if (values instanceof Float64Array) return { name, kind: "number", values };
  let numbers = true;
  let strings = true;
  for (const v of values) {
    if (v === null) continue;
    if (typeof v !== "number") numbers = false;
    if (typeof v !== "string") strings = false;
    if (!numbers && !strings) return { name, kind: "any", values: values as unknown[] };
  }
  if (numbers) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i] === null ? NaN : (values[i] as number);
    return { name, kind: "number", values: out };
  }
  return dictionaryOf(name, values as ReadonlyArray<string | null>);
}

/** Strings by dictionary while that saves copies (under half the values distinct), else plainly. */
function dictionaryOf(name: string, values: ReadonlyArray<string | null>): PieceColumn {
  const index = new Map<string, number>();
  const dict: string[] = [];
  const codes = new Int32Array(values.length);
  const limit = Math.max(64, values.length >> 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) {
      codes[i] = -1;
      continue;
    }
    let code = index.get(v);
    if (code === undefined) {
      if (dict.length >= limit) return { name, kind: "any", values: values as unknown[] };
      code = dict.length;
      dict.push(v);
      index.set(v, code);
    }
    codes[i] = code;
  }
  return { name, kind: "string", dict, codes };
}

function columnSchema(c: PieceColumn): ColumnSchema {
  let type: ColumnType | undefined;
  let nulls = 0;
  if (c.kind === "number") {
    for (const v of c.values) {
      if (Number.isNaN(v)) nulls++;
      else if (type !== "number") type = Number.isInteger(v) ? "integer" : "number";
    }
  } else if (c.kind === "string") {
    for (const code of c.codes) if (code < 0) nulls++;
    if (nulls < c.codes.length) type = "string";
  } else {
    for (const v of c.values) {
      const t = typeOf(v);
      if (t === "null") nulls++;
      else type = type === undefined ? t : mergeTypes(type, t);
    }
  }
  return { name: c.name, type: type ?? "null", nulls };
}

const LINE_BLOCK_ROWS = 16384;

/**
 * Each row as `createRowSerializer` writes it (keys sorted), one per line, UTF-8, in blocks of
 * rows. Written column by column: one pass adds up each row's length, a second copies each
 * column's cells to their rows' places, so every loop sees a single column kind.
 */
function canonicalLines(columns: readonly PieceColumn[], rows: number): Uint8Array[] {
  const sorted = [...columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const cells = sorted.map((c, k) => cellBytes(c, `${k === 0 ? "{" : ","}${JSON.stringify(c.name)}:`));
  const blocks: Uint8Array[] = [];
  for (let start = 0; start < rows; start += LINE_BLOCK_ROWS) {
    const n = Math.min(LINE_BLOCK_ROWS, rows - start);
    const at = new Int32Array(n).fill(cells.length === 0 ? 3 : 2);
    for (const c of cells) c.measure(start, at);
    let total = 0;
    for (let r = 0; r < n; r++) {
      const len = at[r]!;
      at[r] = total;
      total += len;
    }
    const out = new Uint8Array(total);
    if (cells.length === 0) for (let r = 0; r < n; r++) out[at[r]!++] = 123;
    for (const c of cells) c.write(start, out, at);
    for (let r = 0; r < n; r++) {
      out[at[r]!] = 125;
      out[at[r]! + 1] = 10;
    }
    blocks.push(out);
  }
  return blocks;
}

/** One column's `,"key":value` text: `measure` adds each row's length, `write` copies it and moves on. */
type CellBytes = {
  measure(start: number, lengths: Int32Array): void;
  write(start: number, out: Uint8Array, at: Int32Array): void;
};

function cellBytes(c: PieceColumn, prefix: string): CellBytes {
  if (c.kind === "number") return numberCells(c.values, prefix);
  if (c.kind === "string") {
    return codedCells(
      c.codes,
      textTable([...c.dict.map((s) => prefix + JSON.stringify(s)), `${prefix}null`]),
    );
  }
  // Mixed columns: each cell is an entry of its own.
  return codedCells(
    Int32Array.from(c.values, (_, i) => i),
    textTable(c.values.map((v) => prefix + valueJson(v))),
  );
}

/** Texts as UTF-8, one after another: text `i` is `bytes[offsets[i], offsets[i + 1])`. */
type TextTable = { bytes: Uint8Array; offsets: Int32Array };

/** Encoded in one call where every text is ASCII (then a character is a byte), else text by text. */
function textTable(texts: readonly string[]): TextTable {
  const encoder = new TextEncoder();
  const offsets = new Int32Array(texts.length + 1);
  const joined = texts.join("");
  const bytes = encoder.encode(joined);
  if (bytes.length === joined.length) {
    for (let i = 0; i < texts.length; i++) offsets[i + 1] = offsets[i]! + texts[i]!.length;
    return { bytes, offsets };
  }
  const parts = texts.map((t) => encoder.encode(t));
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i]! + parts[i]!.length;
  const all = new Uint8Array(offsets[texts.length]!);
  for (let i = 0; i < parts.length; i++) all.set(parts[i]!, offsets[i]!);
  return { bytes: all, offsets };
}

/** Cells by code into a table of texts; a negative code is the table's last text (null). */
function codedCells(codes: Int32Array, table: TextTable): CellBytes {
  const { bytes, offsets } = table;
  const nullCode = offsets.length - 2;
  return {
    measure(start, out) {
      for (let r = 0; r < out.length; r++) {
        const code = codes[start + r]!;
        const k = code < 0 ? nullCode : code;
        out[r] = out[r]! + offsets[k + 1]! - offsets[k]!;
      }
    },
    write(start, out, at) {
      for (let r = 0; r < at.length; r++) {
        const code = codes[start + r]!;
        const k = code < 0 ? nullCode : code;
        const from = offsets[k]!;
        const to = offsets[k + 1]!;
        const p = at[r]!;
        // A short cell is copied byte by byte (cheaper than a call), a long one in one call.
        if (to - from > 24) out.set(bytes.subarray(from, to), p);
        else for (let i = from; i < to; i++) out[p + i - from] = bytes[i]!;
        at[r] = p + to - from;
      }
    },
  };
}

/** Whole numbers under 1e9 in size are written digit by digit; others through String. */
function numberCells(values: Float64Array, prefix: string): CellBytes {
  const key = new TextEncoder().encode(prefix);
  const plain = (v: number) => Math.abs(v) < 1e9 && Math.floor(v) === v;
  const text = (v: number) => (Number.isNaN(v) ? "null" : String(v));
  return {
    measure(start, out) {
      for (let r = 0; r < out.length; r++) {
        const v = values[start + r]!;
        out[r] = out[r]! + key.length + (plain(v) ? digitCount(v) : text(v).length);
      }
    },
    write(start, out, at) {
      for (let r = 0; r < at.length; r++) {
        const v = values[start + r]!;
        let p = at[r]!;
        for (let i = 0; i < key.length; i++) out[p++] = key[i]!;
        if (plain(v)) p = writeDigits(out, p, v);
        else {
          const s = text(v);
          for (let i = 0; i < s.length; i++) out[p++] = s.charCodeAt(i);
        }
        at[r] = p;
      }
    },
  };
}

/** Characters String(v) gives for a whole number under 1e9 in size (-0 is "0"). */
function digitCount(v: number): number {
  let n = Math.abs(v);
  let width = v < 0 ? 2 : 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    width++;
  }
  return width;
}

function writeDigits(out: Uint8Array, at: number, v: number): number {
  const width = digitCount(v);
  let n = Math.abs(v);
  if (v < 0) out[at] = 45;
  for (let i = at + width - 1; i >= at + (v < 0 ? 1 : 0); i--) {
    out[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + width;
}

function valueJson(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  return canonicalJson(v);
}

/**
 * A piece's rows as batches of at most `batchRows`, built column by column. The first batch
 * carries the piece's canonical lines and schema; the others carry `null` (already counted).
 */
export function* pieceBatches(piece: ColumnarPiece, batchRows: number): Generator<RowBatch> {
  const template = rowTemplate(piece.columns);
  for (let start = 0; start < piece.rows; start += batchRows) {
    const end = Math.min(piece.rows, start + batchRows);
    const batch: RowBatch = [];
    for (let r = start; r < end; r++) batch.push({ ...template });
    for (const c of piece.columns) fillColumn(batch, c, start);
    batch[PIECE_META] = start === 0 ? { lines: piece.lines, columns: piece.schema, rows: piece.rows } : null;
    yield batch;
  }
}

/**
 * A row with every column (null), in column order: rows copied from it have all their fields in
 * place before they are filled, rather than growing (and, past a few, moving) field by field.
 */
function rowTemplate(columns: readonly PieceColumn[]): Row {
  const template: Row = {};
  // A column named "__proto__" cannot be a plain field of a template: such rows grow field by field.
  if (columns.some((c) => c.name === "__proto__")) return template;
  for (const c of columns) template[c.name] = null;
  return template;
}

function fillColumn(rows: Row[], c: PieceColumn, offset: number): void {
  const { name } = c;
  if (c.kind === "number") {
    const values = c.values;
    for (let i = 0; i < rows.length; i++) {
      const v = values[offset + i]!;
      rows[i]![name] = Number.isNaN(v) ? null : v;
    }
  } else if (c.kind === "string") {
    const { dict, codes } = c;
    for (let i = 0; i < rows.length; i++) {
      const code = codes[offset + i]!;
      rows[i]![name] = code < 0 ? null : dict[code];
    }
  } else {
    const values = c.values;
    for (let i = 0; i < rows.length; i++) rows[i]![name] = values[offset + i];
  }
}
