/**
 * Remembers `X-GitHub-Delivery` ids so a redelivered or replayed webhook is handled once. The
 * in-memory store forgets on restart; `createFileDeliveryDedup` (bot/file-delivery-dedup.ts)
 * survives restarts and is shared by replicas that mount the same directory.
 */
export type DeliveryDedup = {
  /** True the first time an id is seen (and records it); false for a repeat. */
  claim(id: string): Promise<boolean>;
  /** Forgets an id whose handling failed, so GitHub's redelivery can try again. */
  release(id: string): Promise<void>;
};

/** A bounded in-memory store (the oldest ids are forgotten first); for tests and single runs. */
export function createDeliveryDedup(capacity = 10_000): DeliveryDedup & { readonly size: number } {
  const seen = new Set<string>();
  return {
    async claim(id) {
      if (seen.has(id)) return false;
      seen.add(id);
      // A Set iterates in insertion order, so the first entry is the oldest.
      if (seen.size > capacity) seen.delete(seen.values().next().value as string);
      return true;
    },
    async release(id) {
      seen.delete(id);
    },
    get size() {
      return seen.size;
    },
  };
}
