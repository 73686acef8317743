import { ModelshipError } from "../../core/errors.ts";
import type { Row } from "./data-source.ts";

/** JSON-lines: one object per line, streamed; a line longer than `maxRecordChars` is an error. */
export async function* readJsonlRows(opts: {
  text: AsyncIterable<string>;
  path: string;
  batchRows: number;
  maxRecordChars: number;
}): AsyncGenerator<Row[]> {
  let carry = "";
  let line = 0;
  let batch: Row[] = [];
  const take = (text: string) => {
    line++;
    if (text.length > opts.maxRecordChars) throw tooLong(opts.path, line);
    if (text.trim() === "") return;
    batch.push(asRow(parseJson(text, opts.path, line), opts.path, `line ${line}`, line));
  };
  for await (const chunk of opts.text) {
    let start = 0;
    let nl = chunk.indexOf("\n");
    while (nl !== -1) {
      take(carry + chunk.slice(start, nl));
      carry = "";
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    carry += chunk.slice(start);
    if (carry.length > opts.maxRecordChars) throw tooLong(opts.path, line + 1);
    if (batch.length >= opts.batchRows) {
      yield batch;
      batch = [];
    }
  }
  if (carry !== "") take(carry);
  if (batch.length > 0) yield batch;
}

/** A JSON array of objects; the whole text is parsed at once (use JSON-lines for large data). */
export async function* readJsonArrayRows(opts: {
  text: AsyncIterable<string>;
  path: string;
  batchRows: number;
}): AsyncGenerator<Row[]> {
  const parts: string[] = [];
  for await (const chunk of opts.text) parts.push(chunk);
  const raw = parseJson(parts.join(""), opts.path, undefined);
  if (!Array.isArray(raw)) {
    throw new ModelshipError({
      code: "data-invalid-json",
      message: `${opts.path} must hold a JSON array of row objects`,
      where: { file: opts.path },
      hint: 'Write [{"x": 1, "label": "a"}, ...], or use JSON-lines (.jsonl) with one object per line.',
    });
  }
  for (let i = 0; i < raw.length; i += opts.batchRows) {
    yield raw
      .slice(i, i + opts.batchRows)
      .map((r: unknown, k) => asRow(r, opts.path, `element ${i + k}`, undefined));
  }
}

/** JSON.parse whose error keeps the location but never the text (V8 quotes the input). */
function parseJson(text: string, path: string, line: number | undefined): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const m = /line (\d+) column (\d+)/.exec((err as Error).message);
    const where: { file: string; line?: number; column?: number } =
      line !== undefined
        ? { file: path, line, ...(m ? { column: Number(m[2]) } : {}) }
        : m
          ? { file: path, line: Number(m[1]), column: Number(m[2]) }
          : { file: path };
    const loc = where.line ? ` line ${where.line}${where.column ? ` column ${where.column}` : ""}` : "";
    return fail(
      line !== undefined ? "data-invalid-jsonl" : "data-invalid-json",
      `${path}${loc} is not valid JSON`,
      where,
      line !== undefined
        ? "JSON-lines files hold one JSON object per line."
        : "Check the file with a JSON linter.",
    );
  }
}

function asRow(raw: unknown, path: string, what: string, line: number | undefined): Row {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return fail(
      "data-row-not-object",
      `${path} ${what} is not an object`,
      line ? { file: path, line } : { file: path },
      "Each row must be an object of column: value.",
    );
  }
  return raw as Row;
}

function tooLong(path: string, line: number): ModelshipError {
  return new ModelshipError({
    code: "data-record-too-long",
    message: `${path} line ${line} is longer than data.loading.maxRecordKiB`,
    where: { file: path, line },
    hint: "Each line must hold one row; raise data.loading.maxRecordKiB if rows really are that long.",
  });
}

function fail(
  code: string,
  message: string,
  where: { file: string; line?: number; column?: number },
  hint: string,
): never {
  throw new ModelshipError({ code, message, where, hint });
}
