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

/**
 * A JSON array of objects, streamed: the text is scanned for the array's elements (tracking
 * strings and nesting) and each element is parsed on its own, so memory holds one chunk, one
 * element (at most `maxRecordChars`) and one batch, whatever the array's length.
 */
export async function* readJsonArrayRows(opts: {
  text: AsyncIterable<string>;
  path: string;
  batchRows: number;
  maxRecordChars: number;
}): AsyncGenerator<Row[]> {
  const { path } = opts;
  const scan = {
    state: "before" as "before" | "between" | "element" | "after",
    depth: 0,
    inString: false,
    escaped: false,
  };
  let element = "";
  let elementLine = 1;
  let line = 1;
  let index = 0;
  let batch: Row[] = [];
  const finish = () => {
    const raw = parseJson(element, path, undefined, elementLine);
    batch.push(asRow(raw, path, `element ${index} (line ${elementLine})`, elementLine));
    index++;
    element = "";
  };
  for await (const chunk of opts.text) {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (scan.state === "element") {
        if (scan.inString) {
          if (scan.escaped) scan.escaped = false;
          else if (c === 92) scan.escaped = true;
          else if (c === 34) scan.inString = false;
          continue;
        }
        if (c === 34) scan.inString = true;
        else if (c === 123 || c === 91) scan.depth++;
        else if (c === 125 || c === 93) {
          if (scan.depth > 0) scan.depth--;
          else {
            element += chunk.slice(start, i);
            finish();
            scan.state = "after";
          }
        } else if (c === 44 && scan.depth === 0) {
          element += chunk.slice(start, i);
          finish();
          scan.state = "between";
        }
        continue;
      }
      if (c === 32 || c === 9 || c === 10 || c === 13) continue;
      if (scan.state === "before" && c === 91) scan.state = "between";
      else if (scan.state === "between" && c === 93 && index === 0) scan.state = "after";
      else if (scan.state === "between") {
        scan.state = "element";
        elementLine = line;
        start = i;
        i--;
      } else throw notArray(path, line);
    }
    if (scan.state === "element") {
      element += chunk.slice(start);
      if (element.length > opts.maxRecordChars) throw tooLong(path, elementLine);
    }
    if (batch.length >= opts.batchRows) {
      yield batch;
      batch = [];
    }
  }
  if (scan.state !== "after") throw notArray(path, line);
  if (batch.length > 0) yield batch;
}

function notArray(path: string, line: number): ModelshipError {
  return new ModelshipError({
    code: "data-invalid-json",
    message: `${path} must hold a JSON array of row objects (line ${line})`,
    where: { file: path, line },
    hint: 'Write [{"x": 1, "label": "a"}, ...], or use JSON-lines (.jsonl) with one object per line.',
  });
}

/** JSON.parse whose error keeps the location but never the text (V8 quotes the input). */
function parseJson(text: string, path: string, line: number | undefined, elementLine?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const m = /line (\d+) column (\d+)/.exec((err as Error).message);
    if (m && elementLine !== undefined) m[1] = String(elementLine + Number(m[1]) - 1);
    const where: { file: string; line?: number; column?: number } =
      line !== undefined
        ? { file: path, line, ...(m ? { column: Number(m[2]) } : {}) }
        : m
          ? { file: path, line: Number(m[1]), column: Number(m[2]) }
          : elementLine !== undefined
            ? { file: path, line: elementLine }
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
