import type { FileHandle } from "node:fs/promises";
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { ModelshipError } from "../../core/errors.ts";
import type { Row } from "./data-source.ts";
import { normalizeValue } from "./normalize-value.ts";

/**
 * Parquet through hyparquet, one row group at a time (so memory holds one group, not the file),
 * cut into batches.
 */
export async function* readParquetRows(opts: {
  handle: FileHandle;
  bytes: number;
  path: string;
  batchRows: number;
}): AsyncGenerator<Row[]> {
  const file = fileBuffer(opts.handle, opts.bytes);
  const metadata = await parquetMetadataAsync(file).catch((err: unknown) => {
    throw invalidParquet(opts.path, err);
  });
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const rows = await parquetReadObjects({
      file,
      metadata,
      compressors,
      rowStart: start,
      rowEnd: end,
    }).catch((err: unknown) => {
      throw invalidParquet(opts.path, err);
    });
    for (let i = 0; i < rows.length; i += opts.batchRows) {
      yield rows.slice(i, i + opts.batchRows).map((r) => normalizeValue(r) as Row);
    }
    start = end;
  }
}

function fileBuffer(handle: FileHandle, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? byteLength, byteLength);
      const out = new Uint8Array(Math.max(0, stop - start));
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return out.buffer;
    },
  };
}

/** A Parquet file hyparquet cannot read, named without quoting its values. */
export function invalidParquet(path: string, err: unknown): ModelshipError {
  // hyparquet's messages describe the file's structure (footer, codec), not its values.
  const why = err instanceof Error ? err.message.slice(0, 200) : "unreadable";
  return new ModelshipError({
    code: "data-invalid-parquet",
    message: `${path} is not a readable Parquet file: ${why}`,
    where: { file: path },
    hint: "Check that the file is Parquet (it ends with PAR1) and uses a codec hyparquet reads (uncompressed, snappy, gzip, brotli, zstd, lz4).",
  });
}
