import { describe, expect, it } from "vitest";
import { createReservoir } from "../../../core/data/reservoir-sample.ts";
import { shuffleBuffered, shuffleRowsBuffered } from "../../../core/data/shuffle-buffer.ts";
import { isValidationRow, mulberry32 } from "../../../core/data/split.ts";

async function* chunks(n: number, size: number): AsyncGenerator<number[]> {
  for (let i = 0; i < n; i += size) yield Array.from({ length: Math.min(size, n - i) }, (_, j) => i + j);
}

async function drain(n: number, opts: { size: number; batchSize: number; seed: number }) {
  const batches: number[][] = [];
  for await (const b of shuffleBuffered(chunks(n, 7), { ...opts, rand: mulberry32(opts.seed) }))
    batches.push(b);
  return batches;
}

/** Stream lengths, buffer sizes and batch sizes: a buffer of 1, smaller and larger than the data, no data. */
const SHAPES = [
  { n: 100, size: 1, batchSize: 10 },
  { n: 100, size: 16, batchSize: 32 },
  { n: 100, size: 1000, batchSize: 33 },
  { n: 5, size: 3, batchSize: 2 },
  { n: 0, size: 4, batchSize: 2 },
];

describe("shuffleBuffered (tf.data shuffle + batch)", () => {
  it.each(SHAPES)(
    "emits each of $n items once, in batches of $batchSize (buffer $size)",
    async ({ n, size, batchSize }) => {
      const batches = await drain(n, { size, batchSize, seed: 1 });
      expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      batches.slice(0, -1).forEach((b) => expect(b).toHaveLength(batchSize));
    },
  );

  it("keeps the order with a buffer of 1 and is seeded otherwise", async () => {
    expect((await drain(50, { size: 1, batchSize: 8, seed: 3 })).flat()).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    const a = (await drain(500, { size: 64, batchSize: 8, seed: 3 })).flat();
    expect((await drain(500, { size: 64, batchSize: 8, seed: 3 })).flat()).toEqual(a);
    expect((await drain(500, { size: 64, batchSize: 8, seed: 4 })).flat()).not.toEqual(a);
  });

  it("moves an item at most as far forward as the buffer allows (tf.data's window)", async () => {
    const out = (await drain(2000, { size: 50, batchSize: 16, seed: 9 })).flat();
    // Item k cannot come out before the buffer has seen it: position ≥ k − size.
    out.forEach((item, pos) => expect(pos).toBeGreaterThanOrEqual(item - 50));
  });

  it("with a buffer as large as the data, puts every item anywhere about equally often", async () => {
    const n = 10;
    const firstCounts = new Array<number>(n).fill(0);
    for (let seed = 0; seed < 2000; seed++)
      firstCounts[(await drain(n, { size: n, batchSize: n, seed }))[0]![0]!]!++;
    firstCounts.forEach((c) => expect(c).toBeGreaterThan(140)); // 200 expected each
  });

  it("refuses a buffer or batch size below 1", async () => {
    await expect(drain(3, { size: 0, batchSize: 1, seed: 1 })).rejects.toThrow(/shuffle buffer size/);
    await expect(drain(3, { size: 2, batchSize: 0, seed: 1 })).rejects.toThrow(/batch size/);
  });
});

describe("shuffleRowsBuffered (the same shuffle over packed rows)", () => {
  /** Row i is [i, i + 1000, i / 2] (stride 3), in Float32Array chunks of `chunk` rows. */
  async function* packed(n: number, chunk: number): AsyncGenerator<Float32Array> {
    for (let i = 0; i < n; i += chunk) {
      const rows = Math.min(chunk, n - i);
      const out = new Float32Array(rows * 3);
      for (let j = 0; j < rows; j++) out.set([i + j, i + j + 1000, (i + j) / 2], j * 3);
      yield out;
    }
  }

  it.each([...SHAPES, { n: 2000, size: 50, batchSize: 16 }])(
    "emits rows in shuffleBuffered's order and batches (n $n, buffer $size, batch $batchSize)",
    async (c) => {
      const want = await drain(c.n, { size: c.size, batchSize: c.batchSize, seed: 5 });
      const got: number[][] = [];
      const rand = mulberry32(5);
      for await (const b of shuffleRowsBuffered(packed(c.n, 13), {
        stride: 3,
        size: c.size,
        batchSize: c.batchSize,
        rand,
      })) {
        const ids: number[] = [];
        for (let r = 0; r < b.length; r += 3) {
          expect([b[r + 1], b[r + 2]]).toEqual([b[r]! + 1000, b[r]! / 2]);
          ids.push(b[r]!);
        }
        got.push(ids);
      }
      expect(got).toEqual(want);
    },
  );

  it("refuses a stride below 1", async () => {
    const run = async () => {
      for await (const _ of shuffleRowsBuffered(packed(3, 2), {
        stride: 0,
        size: 2,
        batchSize: 1,
        rand: Math.random,
      }));
    };
    await expect(run()).rejects.toThrow(/row stride/);
  });
});

describe("isValidationRow (the streaming split)", () => {
  it.each([
    { validationSplit: 0.2, seed: 42 },
    { validationSplit: 0.5, seed: 7 },
    { validationSplit: 0.05, seed: 0 },
  ])("puts about $validationSplit of the rows in validation, the same ones each time", (split) => {
    const n = 100_000;
    let val = 0;
    for (let i = 0; i < n; i++) if (isValidationRow(i, split)) val++;
    expect(Math.abs(val / n - split.validationSplit)).toBeLessThan(0.01);
    expect(Array.from({ length: 50 }, (_, i) => isValidationRow(i, split))).toEqual(
      Array.from({ length: 50 }, (_, i) => isValidationRow(i, split)),
    );
  });

  it("gives another split for another seed", () => {
    const pick = (seed: number) =>
      Array.from({ length: 200 }, (_, i) => isValidationRow(i, { validationSplit: 0.3, seed }));
    expect(pick(1)).not.toEqual(pick(2));
  });
});

describe("createReservoir", () => {
  it.each([
    { n: 5, size: 10, kept: 5 },
    { n: 1000, size: 10, kept: 10 },
  ])("keeps min($n, $size) items, all from the stream", ({ n, size, kept }) => {
    const r = createReservoir<number>(size, mulberry32(1));
    for (let i = 0; i < n; i++) r.add(i);
    expect(r.items()).toHaveLength(kept);
    expect(new Set(r.items()).size).toBe(kept);
  });

  it("samples late items as often as early ones", () => {
    let late = 0;
    for (let seed = 0; seed < 400; seed++) {
      const r = createReservoir<number>(10, mulberry32(seed));
      for (let i = 0; i < 100; i++) r.add(i);
      late += r.items().filter((x) => x >= 50).length;
    }
    expect(late / 4000).toBeGreaterThan(0.45);
    expect(late / 4000).toBeLessThan(0.55);
  });
});
