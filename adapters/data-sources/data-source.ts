import type { ColumnSchema, SourceDescription } from "../../core/data/data-snapshot.ts";

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
 * What a reader that parsed off the main thread already computed for a run of rows (a piece):
 * the rows as canonical JSON lines (UTF-8) and their schema. The first batch of a piece carries
 * it for the whole piece, the piece's other batches carry `null`, so the snapshot neither
 * serialises nor inspects those rows again.
 */
export const PIECE_META: unique symbol = Symbol("piece meta");
export type PieceMeta = { lines: Uint8Array[]; columns: ColumnSchema[]; rows: number };
export type RowBatch = Row[] & { [PIECE_META]?: PieceMeta | null };
