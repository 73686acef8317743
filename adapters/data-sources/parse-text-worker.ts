import { parentPort } from "node:worker_threads";
import { parseTextPiece, type TextPiece } from "./parse-text-piece.ts";

// Worker entry: parses the pieces the main thread cuts from a large CSV or JSON-lines file.
parentPort?.on("message", (msg: { id: number; piece: TextPiece }) => {
  parentPort?.postMessage({ id: msg.id, parsed: parseTextPiece(msg.piece) });
});
