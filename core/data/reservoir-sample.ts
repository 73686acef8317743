/**
 * A uniform sample of at most `size` items from a stream of unknown length (Vitter's
 * algorithm R): item k (0-based) replaces a random kept one with probability size / (k + 1).
 * Memory: `size` items. `rand` returns [0, 1); the same seed gives the same sample.
 */
export function createReservoir<T>(size: number, rand: () => number): { add(item: T): void; items(): T[] } {
  const kept: T[] = [];
  let seen = 0;
  return {
    add(item) {
      seen++;
      if (kept.length < size) {
        kept.push(item);
        return;
      }
      const j = Math.floor(rand() * seen);
      if (j < size) kept[j] = item;
    },
    items: () => kept,
  };
}
