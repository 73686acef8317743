import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { tableFromJSON, tableToIPC } from "apache-arrow";
import { parquetWriteBuffer } from "hyparquet-writer";
import { DataLoadingSchema, type DataSourceConfig } from "../../../core/config/data-sources-schema.ts";
import type { DataSourcesInput } from "../../../adapters/data-sources/pull-data.ts";

export const fixtureDir = join(import.meta.dirname, "../../fixtures/data");

/** The rows of test/fixtures/data/tiny.* (numbers parsed, blank as null). */
export const TINY_ROWS = [
  { height: 1.5, colour: "red", weight: 60, label: "a" },
  { height: 1.7, colour: "blue", weight: null, label: "b" },
  { height: 1.6, colour: "green", weight: 70, label: "a" },
  { height: 1.8, colour: "red", weight: 80, label: "b" },
];

/**
 * A temporary repository holding the tiny fixtures in every format: CSV, JSON and JSON-lines
 * copied, Parquet written by hyparquet-writer, Arrow IPC by apache-arrow.
 */
export async function makeDataRepo(files: Record<string, string | Uint8Array> = {}): Promise<string> {
  const repo = await mkdtemp(join(tmpdir(), "ms-data-"));
  await mkdir(join(repo, "data"));
  for (const name of ["tiny.csv", "tiny.json", "tiny.jsonl"]) {
    await copyFile(join(fixtureDir, name), join(repo, "data", name));
  }
  const columns = ["height", "colour", "weight", "label"] as const;
  const parquet = parquetWriteBuffer({
    columnData: columns.map((name) => ({ name, data: TINY_ROWS.map((r) => r[name]) })),
  });
  await writeFile(join(repo, "data/tiny.parquet"), new Uint8Array(parquet));
  await writeFile(join(repo, "data/tiny.arrow"), tableToIPC(tableFromJSON(TINY_ROWS), "file"));
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), body);
  }
  return repo;
}

export async function removeRepo(repo: string | undefined): Promise<void> {
  if (repo) await rm(repo, { recursive: true, force: true });
}

/** `config.data` with only `data.sources` set. */
export function dataConfig(
  sources: DataSourceConfig[],
  loading: Partial<DataSourcesInput["loading"]> = {},
): DataSourcesInput {
  return { source: [], format: "auto", sources, loading: DataLoadingSchema.parse(loading) };
}

/** A file source entry with defaults filled in. */
export function fileEntry(
  path: string,
  extra: { format?: "csv" | "json" | "jsonl" | "parquet" | "arrow"; encoding?: string } = {},
): DataSourceConfig {
  return {
    kind: "file",
    path,
    format: extra.format ?? "auto",
    ...(extra.encoding ? { encoding: extra.encoding } : {}),
  };
}
