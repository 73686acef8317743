import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { HttpSourceConfig } from "../../core/config/data-sources-schema.ts";
import { canonicalJson } from "../../core/data/sha256.ts";
import type { HttpPageMemo } from "./http-source.ts";
import { readSnapshot, readSnapshotRows } from "./snapshot-store.ts";

type StoredPages = {
  version: string;
  firstRow: number;
  pages: Array<{ url: string; etag: string | null; next: string | null; rows: number }>;
};

function memoPath(store: string, config: HttpSourceConfig): string {
  const key = createHash("sha256")
    .update(canonicalJson({ url: config.url, records: config.records, pagination: config.pagination }))
    .digest("hex");
  return join(store, "http", `${key}.json`);
}

/** The pages of this source's last pull with their rows (from that pull's snapshot), if intact. */
export async function loadHttpPages(
  store: string,
  config: HttpSourceConfig,
): Promise<HttpPageMemo[] | undefined> {
  let saved: StoredPages;
  try {
    saved = JSON.parse(await readFile(memoPath(store, config), "utf8")) as StoredPages;
  } catch {
    return undefined;
  }
  if (!saved.pages.some((p) => p.etag)) return undefined;
  const found = await readSnapshot(join(store, saved.version));
  if (!found) return undefined;
  const rows = await readSnapshotRows(found.dir, found.snapshot);
  let at = saved.firstRow;
  return saved.pages.map((p) => {
    const page = { url: p.url, etag: p.etag, next: p.next, rows: rows.slice(at, at + p.rows) };
    at += p.rows;
    return page;
  });
}

/** Remembers where this pull's pages landed in snapshot `version`, for the next conditional pull. */
export async function saveHttpPages(
  store: string,
  config: HttpSourceConfig,
  saved: { version: string; firstRow: number; pages: readonly HttpPageMemo[] },
): Promise<void> {
  const path = memoPath(store, config);
  await mkdir(join(store, "http"), { recursive: true });
  const body: StoredPages = {
    version: saved.version,
    firstRow: saved.firstRow,
    pages: saved.pages.map((p) => ({ url: p.url, etag: p.etag, next: p.next, rows: p.rows.length })),
  };
  await writeFile(path, `${JSON.stringify(body)}\n`);
}
