import { randomBytes } from "node:crypto";
import { EOL } from "node:os";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** Where the job log goes: the Action's stdout, which the runner reads line by line. */
export type LogOut = { write(text: string): unknown };

/**
 * Runs `body` inside one collapsible `::group::` of the job log, handing it a function that writes
 * one line there. Workflow commands are switched off inside the group (`::stop-commands::` with a
 * random resume token), so the program whose output is streamed (a `train.command`, npm) cannot set
 * outputs, add annotations or masks, or close the group; the runner still masks every secret.
 */
export async function inLogGroup<T>(
  title: string,
  body: (line: (text: string) => void) => Promise<T>,
  out: LogOut = process.stdout,
): Promise<T> {
  const resume = randomBytes(16).toString("hex");
  out.write(`::group::${escapeCommandData(title)}${EOL}`);
  out.write(`::stop-commands::${resume}${EOL}`);
  try {
    return await body((text) => out.write(`${text}${EOL}`));
  } finally {
    out.write(`::${resume}::${EOL}`);
    out.write(`::endgroup::${EOL}`);
  }
}

/** Calls `onLine` for each line of a stream as soon as it is complete; resolves after the last one. */
export function forEachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on("line", onLine);
  // A stream destroyed without ending (the program could not start) closes without `end`.
  return new Promise((done) => {
    lines.once("close", done);
    stream.once("close", done);
  });
}

function escapeCommandData(s: string): string {
  return s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}
