import type { FileHandle } from "node:fs/promises";
import { RecordBatchReader } from "apache-arrow";
import { ModelshipError } from "../../core/errors.ts";
import type { Row } from "./data-source.ts";
import { normalizeValue } from "./normalize-value.ts";

/** Arrow IPC (file or stream format) through apache-arrow, one record batch at a time. */
export async function* readArrowRows(opts: {
  handle: FileHandle;
  path: string;
  batchRows: number;
  bufferBytes: number;
}): AsyncGenerator<Row[]> {
  const stream = opts.handle.createReadStream({
    start: 0,
    autoClose: false,
    highWaterMark: opts.bufferBytes,
  });
  try {
    const readers = await RecordBatchReader.readAll(stream);
    for await (const reader of readers) {
      for await (const batch of reader) {
        // Column vectors read by index: much cheaper than materialising a StructRow per row.
        const names = batch.schema.fields.map((f) => f.name);
        const columns = names.map((_, k) => batch.getChildAt(k));
        for (let start = 0; start < batch.numRows; start += opts.batchRows) {
          const end = Math.min(batch.numRows, start + opts.batchRows);
          const rows: Row[] = [];
          for (let j = start; j < end; j++) {
            const row: Row = {};
            for (let k = 0; k < names.length; k++)
              row[names[k]!] = normalizeValue(columns[k]?.get(j) ?? null);
            rows.push(row);
          }
          yield rows;
        }
      }
    }
  } catch (err) {
    if (err instanceof ModelshipError) throw err;
    throw new ModelshipError({
      code: "data-invalid-arrow",
      message: `${opts.path} is not a readable Arrow IPC file: ${err instanceof Error ? err.message.slice(0, 200) : "unreadable"}`,
      where: { file: opts.path },
      hint: "Write Arrow IPC (file or stream format, e.g. pyarrow.feather.write_feather or pyarrow.ipc.new_file).",
    });
  } finally {
    stream.destroy();
  }
}
