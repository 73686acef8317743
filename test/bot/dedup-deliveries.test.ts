import { describe, expect, it } from "vitest";
import { createDeliveryDedup } from "../../bot/dedup-deliveries.ts";

describe("createDeliveryDedup", () => {
  it("claims an id once, forgets the oldest beyond capacity, and releases failed ones", () => {
    const d = createDeliveryDedup(2);
    expect([d.claim("a"), d.claim("a"), d.claim("b"), d.claim("c")]).toEqual([true, false, true, true]);
    expect(d.size).toBe(2);
    expect(d.claim("a")).toBe(true);
    d.release("a");
    expect(d.claim("a")).toBe(true);
  });
});
