import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDeliveryDedup } from "../../bot/dedup-deliveries.ts";
import { createFileDeliveryDedup } from "../../bot/file-delivery-dedup.ts";

describe("createDeliveryDedup", () => {
  it("claims an id once, forgets the oldest beyond capacity, and releases failed ones", async () => {
    const d = createDeliveryDedup(2);
    const claims = [await d.claim("a"), await d.claim("a"), await d.claim("b"), await d.claim("c")];
    expect(claims).toEqual([true, false, true, true]);
    expect(d.size).toBe(2);
    expect(await d.claim("a")).toBe(true);
    await d.release("a");
    expect(await d.claim("a")).toBe(true);
  });
});

describe("createFileDeliveryDedup", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("remembers ids across instances (a restart), forgets them after the retention window", async () => {
    dir = join(await mkdtemp(join(tmpdir(), "modelship-dedup-")), "deliveries");
    let t = Date.parse("2026-06-01T00:00:00Z");
    const open = () => createFileDeliveryDedup({ dir: dir!, retentionMs: 3_600_000, now: () => new Date(t) });
    const first = open();
    expect(await first.claim("delivery-1")).toBe(true);
    expect(await first.claim("delivery-1")).toBe(false);
    const restarted = open();
    expect(await restarted.claim("delivery-1")).toBe(false);
    await restarted.release("delivery-1");
    expect(await open().claim("delivery-1")).toBe(true);
    t += 2 * 3_600_000;
    const later = open();
    expect(await later.claim("delivery-2")).toBe(true);
    // The expired id was pruned: one file left, and the old id can be claimed again.
    expect(await readdir(dir)).toHaveLength(1);
    expect(await later.claim("delivery-1")).toBe(true);
  });

  it("two stores on the same directory claim an id exactly once between them", async () => {
    dir = await mkdtemp(join(tmpdir(), "modelship-dedup-"));
    const a = createFileDeliveryDedup({ dir, retentionMs: 60_000, now: () => new Date() });
    const b = createFileDeliveryDedup({ dir, retentionMs: 60_000, now: () => new Date() });
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim("same")));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
