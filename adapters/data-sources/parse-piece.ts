import type { ParquetGroupTask } from "./decode-parquet-group.ts";
import { parseTextPiece, type ParsedPiece, type TextPiece } from "./parse-text-piece.ts";

/** Work a piece worker does: a run of CSV or JSON-lines text, or one Parquet row group. */
export type PieceTask = TextPiece | ParquetGroupTask;

/** Parses one task; failures come back as values (with a line or a message), never as throws. */
export async function parsePiece(task: PieceTask): Promise<ParsedPiece> {
  // Loaded on first use: a worker that only parses text never loads the Parquet reader.
  if (task.kind === "parquet") return (await import("./decode-parquet-group.ts")).decodeParquetGroup(task);
  return parseTextPiece(task);
}
