import { parentPort, workerData } from "node:worker_threads";
import { pieceTransfers } from "./columnar-piece.ts";
import { parsePiece, type PieceTask } from "./parse-piece.ts";

// Worker entry: parses the pieces the main thread cuts from large files and hands the result's
// buffers back without copying them.
parentPort?.on("message", (msg: { id: number; task: PieceTask }) => {
  void parsePiece(msg.task).then((parsed) => {
    const transfer = !parsed.ok
      ? []
      : "piece" in parsed
        ? pieceTransfers(parsed.piece)
        : parsed.meta.lines.map((b) => b.buffer as ArrayBuffer);
    parentPort?.postMessage({ id: msg.id, parsed }, transfer);
  });
});

// Loaded while the main thread reads the first row group, not after it arrives (a failure to
// load shows with that row group).
if ((workerData as { kind?: string } | null)?.kind === "parquet")
  import("./decode-parquet-group.ts").catch(() => undefined);
