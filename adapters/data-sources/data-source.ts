import type { SourceDescription } from "../../core/data/data-snapshot.ts";

/** One row as read from a source: column name to value (numbers parsed, empty cells null). */
export type Row = Record<string, unknown>;

/**
 * The port every source kind implements. `read` yields rows in source order, in batches, so a
 * consumer holds one batch at a time; the position of a row in the whole stream (1-based) is its
 * source row number.
 */
export interface DataSource {
  /** What the source is, without any secret: shown in errors, snapshots and run records. */
  readonly description: SourceDescription;
  read(opts: ReadOptions): AsyncIterable<Row[]>;
  /** Releases what opening took (file handles) when the rows are not read to the end; idempotent. */
  close(): Promise<void>;
}

export type ReadOptions = {
  /** Rows per yielded batch (a hint; the last batch is shorter). */
  batchRows: number;
  signal?: AbortSignal;
};

/**
 * A reader that already wrote its rows as canonical JSON lines (a worker thread does, off the
 * main thread) attaches the text to its batches: the whole piece's lines on its first batch and
 * "" on the others of the same piece, so the snapshot does not serialise those rows again.
 */
export const CANONICAL_LINES: unique symbol = Symbol("canonical JSON lines");
export type RowBatch = Row[] & { [CANONICAL_LINES]?: string };
