import type { DecodedArray, PageHeader, SchemaTree } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { convert } from "hyparquet/src/convert.js";
import { decompressPage, readDataPage, readDataPageV2 } from "hyparquet/src/datapage.js";
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import { readPlain } from "hyparquet/src/plain.js";
import { getMaxDefinitionLevel, isFlatColumn } from "hyparquet/src/schema.js";
import type { PieceColumn } from "./columnar-piece.ts";
import { normalizeValue } from "./normalize-value.ts";

/** What hyparquet's page readers need to know of a column. */
export type ColumnDecoder = Parameters<typeof readDataPage>[2];

/** A top-level column that is neither repeated nor nested: one value (or null) per row. */
export function isFlatParquetColumn(schemaPath: SchemaTree[]): boolean {
  return isFlatColumn(schemaPath);
}

/**
 * One flat column chunk of a row group, decoded page by page but kept as codes into its values:
 * a dictionary page is converted and normalised once per distinct value (a timestamp becomes ISO
 * text once, not once per row), a dictionary-encoded data page adds only its indices, a plain page
 * adds its values. Levels and indices go into typed arrays. The values are those hyparquet's row
 * reader gives, after `normalizeValue`; pages of other encodings go through hyparquet's own page
 * reader.
 */
export function decodeFlatParquetColumn(opts: {
  name: string;
  /** The chunk's bytes, from its first page to its end. */
  bytes: Uint8Array;
  decoder: ColumnDecoder;
  rows: number;
}): PieceColumn {
  const { bytes, decoder, rows, name } = opts;
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  const maxDefinition = getMaxDefinitionLevel(decoder.schemaPath);
  const codes = new Int32Array(rows);
  const entries: unknown[] = [];
  let dictionary: { base: number; size: number } | undefined;
  for (let row = 0; row < rows;) {
    if (reader.offset >= bytes.length) throw new Error(`column ${name} ends after ${row} of ${rows} rows`);
    const header = parquetHeader(reader);
    const page = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === "DICTIONARY_PAGE") {
      dictionary = {
        base: entries.length,
        size: addValues(entries, dictionaryValues(page, header, decoder)),
      };
      continue;
    }
    const data = dataPage(page, header, decoder, maxDefinition);
    if (!data) continue;
    if (row + data.count > rows) throw new Error(`column ${name} holds more values than its rows`);
    let base = entries.length;
    let indices: ArrayLike<number> | undefined;
    if (data.encoding.endsWith("_DICTIONARY")) {
      if (!dictionary) throw new Error(`column ${name} has dictionary-encoded values but no dictionary`);
      indices = data.values as ArrayLike<number>;
      base = dictionary.base;
      for (let k = 0; k < indices.length; k++)
        if (!(indices[k]! < dictionary.size)) throw new Error(`column ${name} refers past its dictionary`);
    } else addValues(entries, convert(data.values, decoder));
    writeCodes(codes.subarray(row, row + data.count), data.levels, maxDefinition, base, indices);
    row += data.count;
  }
  return pieceColumn(name, codes, entries);
}

/** Each row's code: -1 where its level says null, else the next value's (`base` + its index). */
function writeCodes(
  out: Int32Array,
  levels: ArrayLike<number> | undefined,
  maxDefinition: number,
  base: number,
  indices: ArrayLike<number> | undefined,
): void {
  if (!levels || levels.length === 0) {
    for (let i = 0; i < out.length; i++) out[i] = base + (indices ? indices[i]! : i);
    return;
  }
  let k = 0;
  for (let i = 0; i < out.length; i++) {
    if (levels[i] !== maxDefinition) out[i] = -1;
    else out[i] = base + (indices ? indices[k++]! : k++);
  }
}

type DataPageValues = {
  count: number;
  /** Definition levels, empty or undefined when every value is present. */
  levels: ArrayLike<number> | undefined;
  /** The present values: dictionary indices, or values of the column's physical type. */
  values: DecodedArray;
  encoding: string;
};

function dataPage(
  page: Uint8Array,
  header: PageHeader,
  decoder: ColumnDecoder,
  maxDefinition: number,
): DataPageValues | undefined {
  if (header.type === "DATA_PAGE") {
    const daph = header.data_page_header;
    if (!daph) throw new Error("parquet data page header is undefined");
    const bytes = decompressPage(
      page,
      Number(header.uncompressed_page_size),
      decoder.codec,
      decoder.compressors,
    );
    const own = readPageV1(bytes, daph.num_values, daph.encoding, decoder, maxDefinition);
    if (own) return own;
    const read = readDataPage(bytes, daph, decoder);
    return {
      count: daph.num_values,
      levels: read.definitionLevels,
      values: read.dataPage,
      encoding: daph.encoding,
    };
  }
  if (header.type === "DATA_PAGE_V2") {
    const daph2 = header.data_page_header_v2;
    if (!daph2) throw new Error("parquet data page header v2 is undefined");
    const read = readDataPageV2(page, header, decoder);
    return {
      count: daph2.num_values,
      levels: read.definitionLevels,
      values: read.dataPage,
      encoding: daph2.encoding,
    };
  }
  return undefined; // index pages hold no rows
}

const DICTIONARY_ENCODINGS = new Set(["RLE_DICTIONARY", "PLAIN_DICTIONARY"]);

/**
 * A version 1 data page of dictionary indices or plain values, levels and indices read into
 * typed arrays (the layout hyparquet's `readDataPage` reads); undefined for other encodings.
 */
function readPageV1(
  bytes: Uint8Array,
  count: number,
  encoding: string,
  decoder: ColumnDecoder,
  maxDefinition: number,
): DataPageValues | undefined {
  const dictionary = DICTIONARY_ENCODINGS.has(encoding);
  if (!dictionary && (encoding !== "PLAIN" || decoder.type === "BOOLEAN")) return undefined;
  if (maxDefinition > 1) return undefined;
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  let levels: Uint8Array | undefined;
  let present = count;
  if (maxDefinition > 0) {
    levels = new Uint8Array(count);
    readRleBitPackedHybrid(reader, 1, levels);
    present = 0;
    for (let i = 0; i < count; i++) present += levels[i]!;
    if (present === count) levels = undefined;
  }
  if (!dictionary) {
    const values = readPlain(reader, decoder.type, present, decoder.element.type_length);
    return { count, levels, values, encoding };
  }
  const indices = new Int32Array(present);
  const width = reader.view.getUint8(reader.offset++);
  if (width > 0) readRleBitPackedHybrid(reader, width, indices, reader.view.byteLength - reader.offset);
  return { count, levels, values: indices, encoding };
}

function dictionaryValues(page: Uint8Array, header: PageHeader, decoder: ColumnDecoder): DecodedArray {
  const diph = header.dictionary_page_header;
  if (!diph) throw new Error("parquet dictionary page header is undefined");
  const bytes = decompressPage(
    page,
    Number(header.uncompressed_page_size),
    decoder.codec,
    decoder.compressors,
  );
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  return convert(readPlain(reader, decoder.type, diph.num_values, decoder.element.type_length), decoder);
}

/** Appends the values as plain JSON values; returns how many. */
function addValues(entries: unknown[], values: DecodedArray): number {
  for (let i = 0; i < values.length; i++) entries.push(normalizeValue(values[i]));
  return values.length;
}

/** The column as numbers, as dictionary-coded strings, or (mixed values) as a plain list. */
function pieceColumn(name: string, codes: Int32Array, entries: readonly unknown[]): PieceColumn {
  let numbers = true;
  let strings = true;
  for (const e of entries) {
    if (e === null) continue;
    if (typeof e !== "number") numbers = false;
    if (typeof e !== "string") strings = false;
  }
  if (numbers) {
    const values = new Float64Array(codes.length);
    for (let r = 0; r < codes.length; r++) {
      const e = codes[r]! < 0 ? null : (entries[codes[r]!] as number | null);
      values[r] = e === null ? NaN : e;
    }
    return { name, kind: "number", values };
  }
  if (strings) {
    const dict = entries.map((e) => (e === null ? "" : (e as string)));
    for (let r = 0; r < codes.length; r++) if (codes[r]! >= 0 && entries[codes[r]!] === null) codes[r] = -1;
    return { name, kind: "string", dict, codes };
  }
  return { name, kind: "any", values: Array.from(codes, (c) => (c < 0 ? null : entries[c])) };
}
