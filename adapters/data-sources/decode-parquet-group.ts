import {
  parquetMetadata,
  parquetRead,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
  type RowGroup,
  type SchemaTree,
} from "hyparquet";
import { DEFAULT_PARSERS } from "hyparquet/src/convert.js";
import { compressors } from "hyparquet-compressors";
import { encodePiece, pieceOf, type ColumnarPiece } from "./columnar-piece.ts";
import {
  decodeFlatParquetColumn,
  isFlatParquetColumn,
  type ColumnDecoder,
} from "./decode-flat-parquet-column.ts";
import { normalizeValue } from "./normalize-value.ts";
import type { ParsedPiece } from "./parse-text-piece.ts";

/** One Parquet row group to decode: its bytes as read from the file, and the file's footer. */
export type ParquetGroupTask = {
  kind: "parquet";
  /** The file's bytes `[offset, offset + bytes.length)`: every column chunk of the group. */
  bytes: Uint8Array;
  offset: number;
  /** The file's size in bytes. */
  byteLength: number;
  /** The footer (metadata, its length and the closing magic), as read from the end of the file. */
  footer: Uint8Array;
  rowStart: number;
  rowEnd: number;
};

/** Decodes a row group into columns of plain JSON values (BigInt as numbers, dates as ISO text). */
export async function decodeParquetGroup(task: ParquetGroupTask): Promise<ParsedPiece> {
  try {
    const metadata = parquetMetadata(task.footer);
    const schema = parquetSchema(metadata);
    const names = schema.children.map((c) => c.element.name);
    if (schema.children.every((c) => isFlatParquetColumn([schema, c]))) {
      return { ok: true, piece: decodeFlatGroup(task, metadata, schema) };
    }
    const chunks = new Map<string, Chunk[]>();
    await parquetRead({
      file: groupBuffer(task),
      metadata,
      compressors,
      rowStart: task.rowStart,
      rowEnd: task.rowEnd,
      onChunk: ({ columnName, columnData, rowStart }) => {
        let list = chunks.get(columnName);
        if (!list) chunks.set(columnName, (list = []));
        list.push({ start: rowStart, data: columnData });
      },
    });
    const rows = task.rowEnd - task.rowStart;
    const columns = names.map((name) => columnValues(chunks.get(name) ?? [], task.rowStart, rows));
    return { ok: true, piece: encodePiece(names, columns, rows) };
  } catch (err) {
    // hyparquet's messages describe the file's structure (footer, codec), not its values.
    const message = err instanceof Error ? err.message.slice(0, 200) : "unreadable";
    return { ok: false, kind: "parquet", code: "invalid", line: undefined, message };
  }
}

/**
 * A row group of flat columns only (the usual table), column chunk by column chunk: values stay
 * codes into each chunk's dictionary until the canonical lines and the rows are written.
 */
function decodeFlatGroup(task: ParquetGroupTask, metadata: FileMetaData, schema: SchemaTree): ColumnarPiece {
  const rows = task.rowEnd - task.rowStart;
  const group = groupAt(metadata, task.rowStart, rows);
  const columns = schema.children.map((child) => {
    const name = child.element.name;
    const chunk = group.columns.find((c) => c.meta_data?.path_in_schema.join(".") === name)?.meta_data;
    if (!chunk) throw new Error(`column ${name} has no chunk in the row group`);
    const start = Number(chunk.dictionary_page_offset || chunk.data_page_offset) - task.offset;
    const end = start + Number(chunk.total_compressed_size);
    if (start < 0 || end > task.bytes.length) throw new Error(`column ${name} lies outside its row group`);
    const decoder: ColumnDecoder = {
      pathInSchema: chunk.path_in_schema,
      element: child.element,
      schemaPath: [schema, child],
      type: chunk.type,
      codec: chunk.codec,
      parsers: DEFAULT_PARSERS,
      compressors,
    };
    return decodeFlatParquetColumn({ name, bytes: task.bytes.subarray(start, end), decoder, rows });
  });
  return pieceOf(columns, rows);
}

/** The row group that holds rows `[rowStart, rowStart + rows)`, exactly. */
function groupAt(metadata: FileMetaData, rowStart: number, rows: number): RowGroup {
  let at = 0;
  for (const g of metadata.row_groups) {
    if (at === rowStart && Number(g.num_rows) === rows) return g;
    at += Number(g.num_rows);
  }
  throw new Error(`no row group holds rows ${rowStart} to ${rowStart + rows}`);
}

type Chunk = { start: number; data: ArrayLike<unknown> };

/** One column's values in row order: numbers straight into a Float64Array, dates as ISO text. */
function columnValues(chunks: readonly Chunk[], rowStart: number, rows: number): unknown[] | Float64Array {
  return numberColumn(chunks, rowStart, rows) ?? plainColumn(chunks, rowStart, rows);
}

/** A column of numbers and BigInts (within the safe range) and nulls, or undefined if it is not one. */
function numberColumn(chunks: readonly Chunk[], rowStart: number, rows: number): Float64Array | undefined {
  const out = new Float64Array(rows).fill(NaN);
  for (const { start, data } of chunks) {
    const from = Math.max(0, rowStart - start);
    const to = Math.min(data.length, rowStart + rows - start);
    for (let i = from; i < to; i++) {
      const v = data[i];
      const at = start - rowStart + i;
      if (typeof v === "number") out[at] = Number.isFinite(v) ? v : NaN;
      else if (typeof v === "bigint") {
        if (v > MAX_SAFE || v < MIN_SAFE) return undefined;
        out[at] = Number(v);
      } else if (v !== null && v !== undefined) return undefined;
    }
  }
  return out;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

function plainColumn(chunks: readonly Chunk[], rowStart: number, rows: number): unknown[] {
  const out: unknown[] = new Array<unknown>(rows).fill(null);
  const isoDate = createIsoDate();
  for (const { start, data } of chunks) {
    const from = Math.max(0, rowStart - start);
    const to = Math.min(data.length, rowStart + rows - start);
    for (let i = from; i < to; i++) {
      const v = data[i];
      out[start - rowStart + i] =
        typeof v === "string" ? v : v instanceof Date ? isoDate(v) : normalizeValue(v);
    }
  }
  return out;
}

/** Date to ISO text, remembering the last one: sorted timestamps repeat (and share one string). */
function createIsoDate(): (d: Date) => string | null {
  let time = NaN;
  let text: string | null = null;
  return (d) => {
    const t = d.getTime();
    if (t === time) return text;
    time = t;
    text = Number.isNaN(t) ? null : d.toISOString();
    return text;
  };
}

/** The group's bytes as the file hyparquet reads from; a read outside them is a bug, not data. */
function groupBuffer(task: ParquetGroupTask): AsyncBuffer {
  const end = task.offset + task.bytes.length;
  return {
    byteLength: task.byteLength,
    slice(start: number, stop?: number): ArrayBuffer {
      const to = stop ?? task.byteLength;
      if (start < task.offset || to > end) throw new Error(`read outside the row group (${start}-${to})`);
      return task.bytes.slice(start - task.offset, to - task.offset).buffer;
    },
  };
}
