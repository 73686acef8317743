import { rmSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Row } from "../../adapters/data-sources/data-source.ts";
import { isValidationRow } from "../../core/data/split.ts";
import {
  applyPreprocessor,
  encodeTargets,
  rowsToColumns,
  type FittedPreprocessor,
} from "../../core/features/preprocessor.ts";
import { makeEncodedSplitDir } from "./encoded-split-dir.ts";
import { readSnapshotBatches } from "./stream-snapshot.ts";

export type SplitRule = { validationSplit: number; seed: number };

/** One side of the split, encoded: `rows` rows of `stride` float32s (the model inputs, then the raw target). */
export type EncodedSide = { path: string; rows: number; stride: number };

/** Both sides of the streaming split as model inputs, on disk; `remove` deletes the files. */
export type EncodedSplit = { train: EncodedSide; validation: EncodedSide; remove(): void };

/** Rows per read of an encoded side. */
export const ENCODED_BATCH_ROWS = 4096;

/**
 * Reads the snapshot once more, after the transforms are fitted, and writes each row's model
 * inputs and raw target (class index, or the value) as float32s to one file per side of the
 * split, in snapshot order, in a temporary directory (`makeEncodedSplitDir`: one a killed run
 * left is removed by the next). Epochs then read these files: no JSON to parse and no row
 * objects, 4 × (inputs + 1) bytes a row.
 */
export async function encodeSplit(opts: {
  snapshotDir: string;
  split: SplitRule;
  p: FittedPreprocessor;
  features: readonly string[];
}): Promise<EncodedSplit> {
  const dir = await makeEncodedSplitDir();
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const stride = opts.p.outputWidth + 1;
  const sides = {
    train: { path: join(dir, "train.f32"), rows: 0, stride },
    validation: { path: join(dir, "validation.f32"), rows: 0, stride },
  };
  const handles: FileHandle[] = [];
  try {
    const train = await open(sides.train.path, "w");
    handles.push(train);
    const validation = await open(sides.validation.path, "w");
    handles.push(validation);
    for await (const { first, rows } of readSnapshotBatches(opts.snapshotDir)) {
      const parts: { train: Row[]; validation: Row[] } = { train: [], validation: [] };
      rows.forEach((row, j) =>
        parts[isValidationRow(first + j, opts.split) ? "validation" : "train"].push(row),
      );
      await writeEncoded(train, encodeRows(opts.p, opts.features, parts.train));
      await writeEncoded(validation, encodeRows(opts.p, opts.features, parts.validation));
      sides.train.rows += parts.train.length;
      sides.validation.rows += parts.validation.length;
    }
  } catch (err) {
    await Promise.all(handles.map((h) => h.close()));
    remove();
    throw err;
  }
  await Promise.all(handles.map((h) => h.close()));
  return { ...sides, remove };
}

/** Rows packed as [inputs…, raw target] per row. */
export function encodeRows(
  p: FittedPreprocessor,
  features: readonly string[],
  rows: readonly Row[],
): Float32Array {
  const n = rows.length;
  const width = p.outputWidth;
  const stride = width + 1;
  const x = applyPreprocessor(p, rowsToColumns(rows, features), n);
  const y = encodeTargets(p, rows);
  const out = new Float32Array(n * stride);
  for (let i = 0; i < n; i++) {
    out.set(x.subarray(i * width, (i + 1) * width), i * stride);
    out[i * stride + width] = y[i]!;
  }
  return out;
}

async function writeEncoded(handle: FileHandle, values: Float32Array): Promise<void> {
  if (values.length === 0) return;
  await handle.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

/** An encoded side in file order, `batchRows` rows at a time, each batch a fresh array. */
export async function* readEncoded(
  side: EncodedSide,
  batchRows = ENCODED_BATCH_ROWS,
): AsyncGenerator<Float32Array> {
  const handle = await open(side.path, "r");
  try {
    let position = 0;
    for (let left = side.rows; left > 0;) {
      const rows = Math.min(batchRows, left);
      const out = new Float32Array(rows * side.stride);
      const bytes = new Uint8Array(out.buffer);
      for (let got = 0; got < bytes.length;) {
        const { bytesRead } = await handle.read(bytes, got, bytes.length - got, position + got);
        if (bytesRead === 0) throw new Error(`${side.path} ended early: expected ${side.rows} rows`);
        got += bytesRead;
      }
      position += bytes.length;
      left -= rows;
      yield out;
    }
  } finally {
    await handle.close();
  }
}

/** A packed batch's model inputs and raw targets, as separate arrays. */
export function unpack(batch: Float32Array, stride: number): { x: Float32Array; yRaw: Float32Array } {
  const n = batch.length / stride;
  const width = stride - 1;
  const x = new Float32Array(n * width);
  const yRaw = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x.set(batch.subarray(i * stride, i * stride + width), i * width);
    yRaw[i] = batch[i * stride + width]!;
  }
  return { x, yRaw };
}
