import { createReadStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Row } from "../../adapters/data-sources/data-source.ts";
import { SNAPSHOT_FILES } from "../../adapters/data-sources/snapshot-store.ts";

/** Text read from the snapshot per step: below V8's large-object size, so it dies young. */
const READ_BYTES = 64 * 1024;
/** A batch ends at this many characters of JSON even when it has fewer than `batchRows` rows. */
const BATCH_CHARS = 2 * 1024 * 1024;

/**
 * The snapshot's rows in order, `batchRows` at a time (fewer when the rows are long: a batch
 * holds about 2 MB of JSON at most), each with its 0-based position: one line of `rows.jsonl`
 * is parsed at a time, so memory holds one batch whatever the snapshot's size.
 */
export async function* readSnapshotBatches(
  dir: string,
  batchRows = 4096,
): AsyncGenerator<{ first: number; rows: Row[] }> {
  const path = join(dir, SNAPSHOT_FILES.rows);
  const lines = createInterface({
    input: createReadStream(path, { highWaterMark: READ_BYTES }),
    crlfDelay: Infinity,
  });
  let rows: Row[] = [];
  let chars = 0;
  let first = 0;
  for await (const line of lines) {
    if (line === "") continue;
    rows.push(JSON.parse(line) as Row);
    chars += line.length;
    if (rows.length === batchRows || chars >= BATCH_CHARS) {
      yield { first, rows };
      first += rows.length;
      rows = [];
      chars = 0;
    }
  }
  if (rows.length > 0) yield { first, rows };
}
