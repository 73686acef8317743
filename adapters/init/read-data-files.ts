import { glob, readFile, realpath } from "node:fs/promises";
import { extname, isAbsolute, join, relative, sep } from "node:path";
import { parse } from "csv-parse/sync";
import { ModelshipError } from "../../core/errors.ts";
import { profileColumns, type ColumnProfile } from "../../core/init/profile-columns.ts";

const GLOB_CHARS = /[*?[\]{}]/;
const FORMATS = new Set([".csv", ".json", ".jsonl", ".ndjson"]);

/**
 * The data files `--data` names (a path or a glob, relative to the repository root), as sorted
 * repository-relative paths with `/` separators; each must be a CSV, JSON or JSON-lines file
 * inside the repository (no `..`, absolute path or symlink leading out).
 */
export async function findDataFiles(repoDir: string, pattern: string): Promise<string[]> {
  const root = await realpath(repoDir);
  const matches: string[] = [];
  if (GLOB_CHARS.test(pattern)) {
    for await (const e of glob(pattern, { cwd: repoDir, withFileTypes: true }))
      if (e.isFile() || e.isSymbolicLink()) matches.push(join(e.parentPath, e.name));
  } else matches.push(isAbsolute(pattern) ? pattern : join(repoDir, pattern));
  const files: string[] = [];
  for (const match of matches) {
    const real = await realpath(match).catch(() => null);
    if (real === null) continue;
    const inside = relative(root, real);
    if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) throw outside(pattern);
    files.push(inside.split(sep).join("/"));
  }
  if (files.length === 0) {
    throw new ModelshipError({
      code: "init-data-missing",
      message: `--data: ${GLOB_CHARS.test(pattern) ? "no file matches" : "there is no file"} ${JSON.stringify(pattern)} in ${repoDir}`,
      hint: "Give a CSV, JSON or JSON-lines file (or a glob such as data/*.csv) relative to the repository root.",
    });
  }
  for (const f of files) {
    if (!FORMATS.has(extname(f).toLowerCase())) {
      throw new ModelshipError({
        code: "init-data-format",
        message: `--data: ${f} is not a .csv, .json, .jsonl or .ndjson file`,
        where: { file: f },
        hint: "The built-in trainer reads CSV, JSON (an array of objects) and JSON lines.",
      });
    }
  }
  return [...new Set(files)].sort();
}

/** Profiles the columns of a data file as the trainer will read it (CSV, JSON array, JSON lines). */
export async function profileDataFile(repoDir: string, file: string): Promise<ColumnProfile[]> {
  const ext = extname(file).toLowerCase();
  try {
    const text = await readFile(join(repoDir, file), "utf8");
    if (ext === ".csv") {
      return profileColumns(
        parse(text, { columns: true, skip_empty_lines: true, bom: true, trim: true }) as Record<
          string,
          string
        >[],
      );
    }
    const rows: unknown =
      ext === ".json"
        ? JSON.parse(text)
        : text
            .split("\n")
            .filter((l) => l.trim() !== "")
            .map((l) => JSON.parse(l) as unknown);
    if (!Array.isArray(rows)) throw new Error("not an array of rows");
    return profileColumns(
      rows.filter((r): r is Record<string, unknown> => r !== null && typeof r === "object"),
    );
  } catch (err) {
    throw new ModelshipError({
      code: "init-data-unreadable",
      message: `--data: cannot read the rows of this file: ${(err as NodeJS.ErrnoException).code ?? `not valid ${ext.slice(1).toUpperCase()}`}`,
      where: { file },
      hint: "Give a CSV with a header row, a JSON array of objects, or JSON lines (one object per line).",
    });
  }
}

function outside(pattern: string): ModelshipError {
  return new ModelshipError({
    code: "init-data-outside",
    message: `--data: ${JSON.stringify(pattern)} leads outside the repository`,
    hint: "Keep training data inside the repository and give its path relative to the repository root.",
  });
}
