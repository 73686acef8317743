import type { SchemaElement } from "hyparquet";
import { readColumn } from "hyparquet/src/column.js";
import { DEFAULT_PARSERS } from "hyparquet/src/convert.js";
import { ByteWriter } from "hyparquet-writer";
import { writePageHeader } from "hyparquet-writer/src/datapage.js";
import { writeRleBitPackedHybrid } from "hyparquet-writer/src/encoding.js";
import { writePlain } from "hyparquet-writer/src/plain.js";
import { describe, expect, it } from "vitest";
import type { PieceColumn } from "../../../adapters/data-sources/columnar-piece.ts";
import {
  decodeFlatParquetColumn,
  type ColumnDecoder,
} from "../../../adapters/data-sources/decode-flat-parquet-column.ts";
import { normalizeValue } from "../../../adapters/data-sources/normalize-value.ts";

// Version 1 data pages (the layout most writers use; hyparquet-writer writes version 2), built
// page by page: a dictionary page, then pages of dictionary indices or plain values, with nulls.
type Page = { dictionary: unknown[] } | { indices: Array<number | null> } | { plain: Array<unknown> };

function chunkBytes(pages: readonly Page[], type: SchemaElement["type"] & string): Uint8Array {
  const out = new ByteWriter();
  for (const page of pages) {
    const body = new ByteWriter();
    if ("dictionary" in page) {
      writePlain(body, page.dictionary as never, type as never, undefined);
      const bytes = body.getBytes();
      writePageHeader(out, {
        type: "DICTIONARY_PAGE",
        uncompressed_page_size: bytes.length,
        compressed_page_size: bytes.length,
        dictionary_page_header: { num_values: page.dictionary.length, encoding: "PLAIN" },
      } as never);
      out.appendBytes(bytes);
      continue;
    }
    const cells = "indices" in page ? page.indices : page.plain;
    const levels = new ByteWriter();
    writeRleBitPackedHybrid(
      levels,
      cells.map((c) => (c === null ? 0 : 1)),
      1,
    );
    body.appendUint32(levels.offset);
    body.appendBytes(levels.getBytes());
    const present = cells.filter((c) => c !== null);
    if ("indices" in page) {
      body.appendUint8(3);
      writeRleBitPackedHybrid(body, present as number[], 3);
    } else writePlain(body, present as never, type as never, undefined);
    const bytes = body.getBytes();
    writePageHeader(out, {
      type: "DATA_PAGE",
      uncompressed_page_size: bytes.length,
      compressed_page_size: bytes.length,
      data_page_header: {
        num_values: cells.length,
        encoding: "indices" in page ? "RLE_DICTIONARY" : "PLAIN",
        definition_level_encoding: "RLE",
        repetition_level_encoding: "RLE",
      },
    } as never);
    out.appendBytes(bytes);
  }
  return out.getBytes();
}

function decoderFor(element: SchemaElement): ColumnDecoder {
  const root = { element: { name: "root", num_children: 1 }, children: [], count: 1, path: [] };
  const leaf = { element, children: [], count: 1, path: [element.name] };
  return {
    pathInSchema: [element.name],
    element,
    schemaPath: [root, leaf] as never,
    type: element.type!,
    codec: "UNCOMPRESSED",
    parsers: DEFAULT_PARSERS,
  };
}

/** The values hyparquet's own column reader gives, as rows carry them. */
function reference(bytes: Uint8Array, decoder: ColumnDecoder, rows: number): unknown[] {
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  const select = { groupStart: 0, selectStart: 0, selectEnd: rows, groupRows: rows };
  return readColumn(reader, select, decoder).data.flatMap((d) =>
    Array.from(d as ArrayLike<unknown>, normalizeValue),
  );
}

function valuesOf(c: PieceColumn): unknown[] {
  if (c.kind === "number") return Array.from(c.values, (v) => (Number.isNaN(v) ? null : v));
  if (c.kind === "string") return Array.from(c.codes, (k) => (k < 0 ? null : c.dict[k]));
  return c.values;
}

const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
const OPTIONAL = "OPTIONAL" as const;

describe("flat Parquet columns from version 1 pages", () => {
  it.each([
    {
      what: "timestamps by dictionary, with nulls, then plain values",
      element: {
        name: "when",
        type: "INT64",
        repetition_type: OPTIONAL,
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: false, unit: "MICROS" },
      },
      pages: [
        { dictionary: [micros("2001-01-01T00:01:00Z"), micros("2001-01-02T10:00:00Z")] },
        { indices: [0, null, 1, 1, 0, null, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
        { plain: [micros("2002-03-04T05:06:07Z"), null] },
      ],
      kind: "string",
      expected: {
        0: "2001-01-01T00:01:00.000Z",
        1: null,
        2: "2001-01-02T10:00:00.000Z",
        16: "2002-03-04T05:06:07.000Z",
      },
    },
    {
      what: "integers by dictionary, one beyond 2^53 kept as text",
      element: { name: "n", type: "INT64", repetition_type: OPTIONAL },
      pages: [{ dictionary: [-5n, 2n ** 60n, 7n] }, { indices: [2, 0, null, 1, 0, 0, 0, 0, 0, 0] }],
      kind: "any",
      expected: { 0: 7, 1: -5, 2: null, 3: "1152921504606846976" },
    },
    {
      what: "doubles, plain only, every value present",
      element: { name: "w", type: "DOUBLE", repetition_type: OPTIONAL },
      pages: [{ plain: [0.5, -0, 1e300, 3] }, { plain: [2.25] }],
      kind: "number",
      expected: { 0: 0.5, 2: 1e300, 4: 2.25 },
    },
    {
      what: "text by dictionary, a page of nulls only",
      element: { name: "city", type: "BYTE_ARRAY", repetition_type: OPTIONAL, converted_type: "UTF8" },
      pages: [
        { dictionary: ["Zürich", 'a"b', "x"].map((s) => new TextEncoder().encode(s)) },
        { indices: [0, 1, 2, 0] },
        { indices: [null, null, null] },
      ],
      kind: "string",
      expected: { 0: "Zürich", 1: 'a"b', 3: "Zürich", 4: null, 6: null },
    },
  ] as const)("decodes $what as hyparquet's reader does", ({ element, pages, kind, expected }) => {
    const bytes = chunkBytes(pages as unknown as Page[], element.type);
    const decoder = decoderFor(element as unknown as SchemaElement);
    const rows = pages.reduce(
      (n, p) => n + ("indices" in p ? p.indices.length : "plain" in p ? p.plain.length : 0),
      0,
    );
    const column = decodeFlatParquetColumn({ name: element.name, bytes, decoder, rows });
    const values = valuesOf(column);
    expect(column.kind).toBe(kind);
    expect(values).toEqual(reference(bytes, decoder, rows));
    for (const [row, value] of Object.entries(expected)) expect(values[Number(row)]).toEqual(value);
  });

  it.each([
    {
      what: "fewer values than rows",
      rows: 5,
      pages: [{ plain: [1, 2] }],
      message: /ends after 2 of 5 rows/,
    },
    {
      what: "more values than rows",
      rows: 1,
      pages: [{ plain: [1, 2] }],
      message: /more values than its rows/,
    },
    { what: "indices without a dictionary", rows: 2, pages: [{ indices: [0, 0] }], message: /no dictionary/ },
    {
      what: "an index past the dictionary",
      rows: 2,
      pages: [{ dictionary: [1] }, { indices: [0, 5] }],
      message: /refers past its dictionary/,
    },
  ])("refuses a chunk with $what", ({ rows, pages, message }) => {
    const element = { name: "v", type: "DOUBLE", repetition_type: OPTIONAL } as SchemaElement;
    const bytes = chunkBytes(pages as Page[], "DOUBLE");
    expect(() => decodeFlatParquetColumn({ name: "v", bytes, decoder: decoderFor(element), rows })).toThrow(
      message,
    );
  });
});
