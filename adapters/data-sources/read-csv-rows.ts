import { parse } from "csv-parse";
import { ModelshipError } from "../../core/errors.ts";
import type { Row } from "./data-source.ts";

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A CSV cell as a value: numbers parsed, blank means null, anything else the trimmed text. */
export function csvCell(v: string): unknown {
  if (v === "") return null;
  if (!NUMBER.test(v)) return v;
  const n = Number(v);
  // 1e999 overflows to Infinity: keep the text rather than invent a value.
  return Number.isFinite(n) ? n : v;
}

// What each csv-parse failure means, in words that never quote the file's content.
const CSV_PROBLEMS: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE: "a quoted field is followed by something other than a delimiter",
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "a quoted field is followed by something other than a delimiter",
  CSV_QUOTE_NOT_CLOSED: "a quoted field is never closed",
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: "the row has a different number of fields than the header",
  CSV_RECORD_INCONSISTENT_COLUMNS: "the row has a different number of fields than the header",
  CSV_MAX_RECORD_SIZE: "a row is longer than data.loading.maxRecordKiB",
};

/** Streams CSV text (header line first) as batches of rows; memory holds one batch and one chunk. */
export async function* readCsvRows(opts: {
  text: AsyncIterable<string>;
  path: string;
  batchRows: number;
  maxRecordChars: number;
}): AsyncGenerator<Row[]> {
  const { path } = opts;
  const parser = parse({
    columns: (header: string[]) => checkHeader(header, path),
    skip_empty_lines: true,
    bom: true,
    trim: true,
    max_record_size: opts.maxRecordChars,
  });
  // Records are collected from 'data' events and handed out per written chunk: one await per
  // chunk rather than one per record keeps the stream at the speed of the parser itself.
  let out: Row[] = [];
  let failed: unknown;
  parser.on("data", (record: Record<string, string>) => {
    const row: Row = {};
    for (const key in record) row[key] = csvCell(record[key]!);
    out.push(row);
  });
  parser.on("error", (err) => (failed ??= err));
  const ended = new Promise<void>((resolve) => parser.once("end", resolve).once("error", () => resolve()));
  const take = function* (all: boolean): Generator<Row[]> {
    while (out.length > 0 && (all || out.length >= opts.batchRows)) {
      const full = out;
      out = [];
      let i = 0;
      for (; i + opts.batchRows <= full.length; i += opts.batchRows) yield full.slice(i, i + opts.batchRows);
      if (i === full.length) continue;
      if (all) yield full.slice(i);
      else {
        // Records parsed while a batch was out go after the remainder.
        out = [...full.slice(i), ...out];
        return;
      }
    }
  };
  try {
    for await (const text of opts.text) {
      await new Promise<void>((resolve) => parser.write(text, () => resolve()));
      if (failed) throw failed;
      yield* take(false);
    }
    parser.end();
    await ended;
    if (failed) throw failed;
    yield* take(true);
  } catch (err) {
    throw asCsvError(err, path);
  } finally {
    parser.destroy();
  }
}

/** The header's column names, each non-empty and named once. */
export function checkHeader(header: string[], path: string): string[] {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === "" || seen.has(name)) {
      throw new ModelshipError({
        code: "data-csv-header-invalid",
        message: `${path} line 1: column ${i + 1} of the header is ${name === "" ? "empty" : "a duplicate name"}`,
        where: { file: path, line: 1 },
        hint: "The first line must name every column once.",
      });
    }
    seen.add(name);
  });
  return header;
}

/** A csv-parse failure as an error naming the file and line, never the content. */
export function asCsvError(err: unknown, path: string): unknown {
  if (err instanceof ModelshipError) return err;
  const e = err as Error & { code?: string; lines?: number; cause?: unknown };
  if (e.cause instanceof ModelshipError) return e.cause;
  const what = (e.code && CSV_PROBLEMS[e.code]) ?? "the text is not valid CSV";
  return new ModelshipError({
    code: "data-invalid-csv",
    message: `${path}${e.lines ? ` line ${e.lines}` : ""} is not valid CSV: ${what}`,
    where: e.lines ? { file: path, line: e.lines } : { file: path },
    hint: "The first line must name the columns; every row needs the same number of fields; quotes must be closed.",
  });
}
