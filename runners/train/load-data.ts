import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname, isAbsolute, resolve } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { ModelshipError } from "../../core/errors.ts";

export type DataFormat = "auto" | "csv" | "json" | "jsonl";
export type LoadedFile = { path: string; sha256: string; bytes: number; rows: number };
export type LoadedData = {
  rows: Record<string, unknown>[];
  /** Every column seen, in first-seen order. */
  columns: string[];
  files: LoadedFile[];
  /** sha256 over the bytes of every file, in the order given. */
  fingerprint: string;
};

/** Reads CSV / JSON (array of objects) / JSON-lines files relative to `repoDir`; numbers parsed, empty cells null. */
export async function loadData(opts: {
  repoDir: string;
  sources: string[];
  format: DataFormat;
}): Promise<LoadedData> {
  if (opts.sources.length === 0) {
    throw new ModelshipError({
      code: "data-source-missing",
      message: "data.source lists no files",
      hint: "Add CSV, JSON or JSON-lines files under data.source in modelship.yml.",
    });
  }
  const all = createHash("sha256");
  const rows: Record<string, unknown>[] = [];
  const files: LoadedFile[] = [];
  for (const source of opts.sources) {
    const path = isAbsolute(source) ? source : resolve(opts.repoDir, source);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new ModelshipError({
        code: "data-unreadable",
        message: `cannot read data file ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        where: { file: source },
        hint: "data.source paths are relative to the repository root.",
      });
    }
    all.update(bytes);
    const format = opts.format === "auto" ? formatFromExtension(source) : opts.format;
    const parsed = parseRows(bytes.toString("utf8"), format, source);
    rows.push(...parsed);
    files.push({
      path: source,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.length,
      rows: parsed.length,
    });
  }
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return { rows, columns: [...seen], files, fingerprint: all.digest("hex") };
}

function formatFromExtension(file: string): Exclude<DataFormat, "auto"> {
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".json") return "json";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  throw new ModelshipError({
    code: "data-format-unknown",
    message: `cannot tell the format of ${file} from its extension '${ext}'`,
    where: { file },
    hint: "Use .csv, .json, .jsonl or .ndjson, or set data.format.",
  });
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function cell(v: string): unknown {
  const t = v.trim();
  if (t === "") return null;
  return NUMBER.test(t) ? Number(t) : v;
}

function parseRows(
  text: string,
  format: Exclude<DataFormat, "auto">,
  file: string,
): Record<string, unknown>[] {
  if (format === "csv") {
    try {
      const records = parseCsv(text, {
        columns: true,
        skip_empty_lines: true,
        bom: true,
        trim: true,
      }) as Record<string, string>[];
      return records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, cell(v)])));
    } catch (err) {
      const e = err as Error & { lines?: number };
      throw new ModelshipError({
        code: "data-invalid-csv",
        message: `${file} is not valid CSV: ${e.message}`,
        where: e.lines ? { file, line: e.lines } : { file },
        hint: "The first line must name the columns; every row needs the same number of fields.",
      });
    }
  }
  if (format === "json") {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ModelshipError({
        code: "data-invalid-json",
        message: `${file} is not valid JSON: ${(err as Error).message}`,
        where: { file },
      });
    }
    if (!Array.isArray(raw)) {
      throw new ModelshipError({
        code: "data-invalid-json",
        message: `${file} must hold a JSON array of row objects`,
        where: { file },
        hint: 'Write [{"x": 1, "label": "a"}, ...], or use JSON-lines (.jsonl) with one object per line.',
      });
    }
    return raw.map((r, i) => asRow(r, file, `element ${i}`, undefined));
  }
  const out: Record<string, unknown>[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new ModelshipError({
        code: "data-invalid-jsonl",
        message: `${file} line ${i + 1} is not valid JSON: ${(err as Error).message}`,
        where: { file, line: i + 1 },
        hint: "JSON-lines files hold one JSON object per line.",
      });
    }
    out.push(asRow(raw, file, `line ${i + 1}`, i + 1));
  });
  return out;
}

function asRow(raw: unknown, file: string, what: string, line: number | undefined): Record<string, unknown> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ModelshipError({
      code: "data-row-not-object",
      message: `${file} ${what} is not an object`,
      where: line ? { file, line } : { file },
      hint: "Each row must be an object of column: value.",
    });
  }
  return raw as Record<string, unknown>;
}
