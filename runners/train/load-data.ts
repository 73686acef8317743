import { pullData, type DataSourcesInput, type PulledData } from "../../adapters/data-sources/pull-data.ts";
import { DataLoadingSchema } from "../../core/config/data-sources-schema.ts";
import type { DataSnapshot } from "../../core/data/data-snapshot.ts";
import type { RunRecord } from "../../core/run/run-record.ts";

export type DataFormat = "auto" | "csv" | "json" | "jsonl";
export type LoadedFile = { path: string; sha256: string; bytes: number; rows: number };
export type LoadedData = PulledData & {
  files: LoadedFile[];
  /** The data version: sha256 of the snapshot's canonical rows (the same rows give the same value). */
  fingerprint: string;
};

/**
 * Reads every configured source (`data.source` files, then `data.sources`) through the streaming
 * sources, and writes or reuses the snapshot under `<repoDir>/.modelship/data` (set `snapshotsDir`
 * to null to only compute the version). The legacy form `{ sources, format }` reads files only
 * and writes no snapshot by default.
 */
export async function loadData(
  opts: {
    repoDir: string;
    env?: Readonly<Record<string, string | undefined>>;
    snapshotsDir?: string | null;
  } & ({ data: DataSourcesInput } | { sources: string[]; format: DataFormat }),
): Promise<LoadedData> {
  const data: DataSourcesInput =
    "data" in opts
      ? opts.data
      : { source: opts.sources, format: opts.format, sources: [], loading: DataLoadingSchema.parse({}) };
  const pulled = await pullData({
    repoDir: opts.repoDir,
    data,
    env: opts.env ?? process.env,
    // The legacy file-list form only reads: it writes no snapshot unless asked to.
    ...(opts.snapshotsDir !== undefined
      ? { snapshotsDir: opts.snapshotsDir }
      : "data" in opts
        ? {}
        : { snapshotsDir: null }),
  });
  const files: LoadedFile[] = [];
  for (const part of pulled.snapshot.parts) {
    const s = part.source;
    if (s.kind === "file") files.push({ path: s.path, sha256: s.sha256, bytes: s.bytes, rows: part.rows });
  }
  return Object.assign(pulled, { files, fingerprint: pulled.snapshot.version });
}

/** The `data` block of a run record: version, schema and sources of what training read. */
export function runRecordData(data: LoadedData): RunRecord["data"] {
  return {
    fingerprint: data.fingerprint,
    files: data.files,
    rows: data.rows.length,
    version: data.snapshot.version,
    columns: data.snapshot.columns,
    sources: data.snapshot.parts.map((p) => p.source),
  };
}

/** The same block for a snapshot read as a stream (its rows never all in memory). */
export function snapshotRecordData(snapshot: DataSnapshot): RunRecord["data"] {
  const files: LoadedFile[] = [];
  for (const part of snapshot.parts) {
    const s = part.source;
    if (s.kind === "file") files.push({ path: s.path, sha256: s.sha256, bytes: s.bytes, rows: part.rows });
  }
  return {
    fingerprint: snapshot.version,
    files,
    rows: snapshot.rows,
    version: snapshot.version,
    columns: snapshot.columns,
    sources: snapshot.parts.map((p) => p.source),
  };
}
