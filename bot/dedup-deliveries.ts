/**
 * Remembers recent `X-GitHub-Delivery` ids so a redelivered webhook is handled once per process.
 * A bounded LRU: the oldest ids are forgotten first. Across replicas, safety comes from every
 * handler being idempotent against state kept in GitHub (markers, check runs, tags, deployments).
 */
export type DeliveryDedup = {
  /** True the first time an id is seen (and records it); false for a repeat. */
  claim(id: string): boolean;
  /** Forgets an id whose handling failed, so GitHub's redelivery can try again. */
  release(id: string): void;
  readonly size: number;
};

export function createDeliveryDedup(capacity = 10_000): DeliveryDedup {
  const seen = new Set<string>();
  return {
    claim(id) {
      if (seen.has(id)) return false;
      seen.add(id);
      // A Set iterates in insertion order, so the first entry is the oldest.
      if (seen.size > capacity) seen.delete(seen.values().next().value as string);
      return true;
    },
    release(id) {
      seen.delete(id);
    },
    get size() {
      return seen.size;
    },
  };
}
