import type { IncomingMessage } from "node:http";

/** Answer bytes kept to read a prediction or compare a shadow (larger answers are not read). */
export const CAPTURE_BYTES = 64 * 1024;

/** Keeps the first CAPTURE_BYTES of a response while it is piped on; `over` once it is larger. */
export function capture(res: IncomingMessage): { chunks: Buffer[]; over: boolean } {
  const kept = { chunks: [] as Buffer[], over: false };
  let size = 0;
  res.on("data", (chunk: Buffer) => {
    if (kept.over) return;
    size += chunk.length;
    if (size > CAPTURE_BYTES) {
      kept.over = true;
      kept.chunks = [];
    } else kept.chunks.push(chunk);
  });
  return kept;
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

export async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
