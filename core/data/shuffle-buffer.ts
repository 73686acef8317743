/**
 * tf.data's `shuffle(bufferSize).batch(batchSize)`: fills a buffer with the first `size` items,
 * then for every further item takes a uniformly drawn buffered one out and puts the new item in
 * its place; at the end the rest of the buffer comes out in random order. Items come out in
 * arrays of `batchSize` (the last one shorter). `size` ≥ the item count is a full uniform
 * shuffle; size 1 keeps the order. Memory: `size` items plus one batch. `rand` returns [0, 1).
 */
export async function* shuffleBuffered<T>(
  items: AsyncIterable<readonly T[]>,
  opts: { size: number; batchSize: number; rand: () => number },
): AsyncGenerator<T[]> {
  const { size, batchSize, rand } = opts;
  for (const [name, v] of [
    ["shuffle buffer size", size],
    ["batch size", batchSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer ≥ 1, got ${v}`);
  }
  const buffer: T[] = [];
  let batch: T[] = [];
  for await (const chunk of items) {
    for (const item of chunk) {
      if (buffer.length < size) {
        buffer.push(item);
        continue;
      }
      const j = Math.floor(rand() * size);
      batch.push(buffer[j]!);
      buffer[j] = item;
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  while (buffer.length > 0) {
    const j = Math.floor(rand() * buffer.length);
    batch.push(buffer[j]!);
    buffer[j] = buffer[buffer.length - 1]!;
    buffer.pop();
    if (batch.length === batchSize || buffer.length === 0) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * `shuffleBuffered` for rows of `stride` numbers packed in Float32Arrays: the buffer is one
 * array of `size` rows, rows are copied in and out, and batches come out as fresh arrays of
 * `batchSize` rows (the last one shorter). Draws are the ones `shuffleBuffered` makes, so the
 * same `rand` gives the same order. Memory: `size` + `batchSize` rows, whatever the chunks hold.
 */
export async function* shuffleRowsBuffered(
  chunks: AsyncIterable<Float32Array>,
  opts: { stride: number; size: number; batchSize: number; rand: () => number },
): AsyncGenerator<Float32Array> {
  const { stride, size, batchSize, rand } = opts;
  for (const [name, v] of [
    ["row stride", stride],
    ["shuffle buffer size", size],
    ["batch size", batchSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer ≥ 1, got ${v}`);
  }
  const buffer = new Float32Array(size * stride);
  let held = 0;
  let batch = new Float32Array(batchSize * stride);
  let filled = 0;
  const take = (slot: number) => {
    batch.set(buffer.subarray(slot * stride, (slot + 1) * stride), filled * stride);
    filled += 1;
  };
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += stride) {
      const row = chunk.subarray(at, at + stride);
      if (held < size) {
        buffer.set(row, held * stride);
        held += 1;
        continue;
      }
      const j = Math.floor(rand() * size);
      take(j);
      buffer.set(row, j * stride);
      if (filled === batchSize) {
        yield batch;
        batch = new Float32Array(batchSize * stride);
        filled = 0;
      }
    }
  }
  while (held > 0) {
    const j = Math.floor(rand() * held);
    take(j);
    buffer.copyWithin(j * stride, (held - 1) * stride, held * stride);
    held -= 1;
    if (filled === batchSize || held === 0) {
      yield batch.subarray(0, filled * stride);
      batch = new Float32Array(batchSize * stride);
      filled = 0;
    }
  }
  if (filled > 0) yield batch.subarray(0, filled * stride);
}
