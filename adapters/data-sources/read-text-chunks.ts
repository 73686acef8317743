import type { FileHandle } from "node:fs/promises";
import { ModelshipError } from "../../core/errors.ts";

/**
 * Decodes a file in chunks of at most `bufferBytes`, holding one chunk at a time. Without an
 * `encoding` the text must be valid UTF-8: a bad byte is an error naming its line and offset,
 * never a silent U+FFFD. Nothing is read until the first chunk is asked for.
 */
export async function* readTextChunks(opts: {
  handle: FileHandle;
  path: string;
  bufferBytes: number;
  encoding?: string;
  /** Sees every byte read, in order (the file's hash). */
  onBytes?: (bytes: Uint8Array) => void;
}): AsyncGenerator<string> {
  const decoder = createDecoder(opts.encoding, opts.path);
  const buf = Buffer.allocUnsafe(opts.bufferBytes);
  let position = 0;
  let newlines = 0;
  for (;;) {
    const { bytesRead } = await opts.handle.read(buf, 0, buf.length, position);
    const chunk = buf.subarray(0, bytesRead);
    opts.onBytes?.(chunk);
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: bytesRead > 0 });
    } catch {
      const at = firstInvalidUtf8(chunk);
      const line = newlines + countNewlines(chunk.subarray(0, at)) + 1;
      throw new ModelshipError({
        code: "data-encoding-invalid",
        message: `${opts.path} line ${line} is not valid UTF-8 (byte ${position + at})`,
        where: { file: opts.path, line },
        hint: "Set `encoding` on the source to the file's real encoding (e.g. encoding: latin1 or windows-1252), or save the file as UTF-8.",
      });
    }
    if (text.length > 0) yield text;
    if (bytesRead === 0) return;
    newlines += countNewlines(chunk);
    position += bytesRead;
  }
}

function createDecoder(encoding: string | undefined, path: string): InstanceType<typeof TextDecoder> {
  try {
    return new TextDecoder(encoding ?? "utf-8", { fatal: encoding === undefined });
  } catch {
    throw new ModelshipError({
      code: "data-encoding-unknown",
      message: `${path}: unknown text encoding '${encoding}'`,
      hint: "Use a WHATWG encoding label such as utf-8, latin1, windows-1252, utf-16le or shift_jis.",
    });
  }
}

function countNewlines(bytes: Uint8Array): number {
  let n = 0;
  let i = bytes.indexOf(0x0a);
  while (i !== -1) {
    n++;
    i = bytes.indexOf(0x0a, i + 1);
  }
  return n;
}

/** Index of the first byte that starts an invalid UTF-8 sequence (a truncated tail counts as valid). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return bytes.length;
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}
