import type { Config } from "../../core/config/schema.ts";
import type { RowOrigin } from "../../core/data/expectations/expectation-table.ts";
import { describeSource } from "../../core/data/data-snapshot.ts";
import { pullData, type PulledData } from "../data-sources/pull-data.ts";

/** The rows expectations and the profiler read, each with the row it is in its source. */
export type ValidationRows = {
  rows: readonly Record<string, unknown>[];
  origin(index: number): RowOrigin;
  /** What was read, for messages (paths and URLs, never secrets). */
  sources: readonly string[];
};

/** The port data validation reads through: every configured source's rows, in source order. */
export type ReadValidationRows = (opts: {
  repoDir: string;
  data: Config["data"];
  /** Where `${NAME}` in source settings is looked up (the front door passes its environment). */
  env?: Readonly<Record<string, string | undefined>>;
}) => Promise<ValidationRows>;

/** Reads every configured source (files, HTTP, SQL) without writing a snapshot: validation only reads. */
export const readValidationRows: ReadValidationRows = async ({ repoDir, data, env }) =>
  validationRowsOf(await pullData({ repoDir, data, snapshotsDir: null, ...(env ? { env } : {}) }));

/** The rows of data already pulled (training validates what it is about to train on: one read). */
export function validationRowsOf(pulled: PulledData): ValidationRows {
  return {
    rows: pulled.rows,
    origin: (i) => pulled.origin(i),
    sources: pulled.snapshot.parts.map((p) => describeSource(p.source)),
  };
}
