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
