import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { ModelshipError } from "../../core/errors.ts";

export type FeatureRows = { rows: Array<Record<string, unknown>>; columns: string[] };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Rows of feature values from a CSV (header line; numbers parsed, empty cells missing), JSON
 * (an array of objects) or JSON-lines file, by its extension.
 */
export async function readFeatureRows(path: string): Promise<FeatureRows> {
  const format = formatOf(path);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ModelshipError({
      code: "current-data-unreadable",
      message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      where: { file: path },
      hint: "--current takes a CSV, JSON or JSON-lines file of feature rows.",
    });
  }
  const rows =
    format === "csv" ? csvRows(text, path) : format === "json" ? jsonRows(text, path) : jsonlRows(text, path);
  const columns = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) columns.add(k);
  return { rows, columns: [...columns] };
}

function formatOf(path: string): "csv" | "json" | "jsonl" {
  const ext = extname(path).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".json") return "json";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  throw new ModelshipError({
    code: "current-data-format",
    message: `cannot tell the format of ${path} from its extension '${ext}'`,
    where: { file: path },
    hint: "Use a .csv, .json, .jsonl or .ndjson file.",
  });
}

function csvRows(text: string, path: string): Array<Record<string, unknown>> {
  try {
    const records = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, trim: true }) as Array<
      Record<string, string>
    >;
    return records.map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, v === "" ? null : NUMBER.test(v) ? Number(v) : v]),
      ),
    );
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new ModelshipError({
      code: "current-data-invalid",
      message: `${path} is not valid CSV: ${e.message}`,
      where: e.lines ? { file: path, line: e.lines } : { file: path },
      hint: "The first line must name the columns; every row needs the same number of fields.",
    });
  }
}

function jsonRows(text: string, path: string): Array<Record<string, unknown>> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(path, undefined, `not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) throw invalid(path, undefined, "must hold a JSON array of row objects");
  return raw.map((r, i) => asRow(r, path, `element ${i}`));
}

function jsonlRows(text: string, path: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw invalid(path, i + 1, `line ${i + 1} is not valid JSON: ${(err as Error).message}`);
    }
    out.push(asRow(raw, path, `line ${i + 1}`, i + 1));
  });
  return out;
}

function asRow(raw: unknown, path: string, what: string, line?: number): Record<string, unknown> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw invalid(path, line, `${what} is not an object of column: value`);
  return raw as Record<string, unknown>;
}

function invalid(path: string, line: number | undefined, what: string): ModelshipError {
  return new ModelshipError({
    code: "current-data-invalid",
    message: `${path}: ${what}`,
    where: line ? { file: path, line } : { file: path },
    hint: "JSON holds an array of row objects; JSON-lines one object per line.",
  });
}
