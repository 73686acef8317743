/** Buckets a request key is hashed into: weights are honoured to 0.01%. */
export const STICKY_BUCKETS = 10_000;

/** The bucket of a request key (FNV-1a, 32 bits): the same key always lands in the same bucket. */
export function stickyBucket(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % STICKY_BUCKETS;
}

/**
 * Whether one request goes to the new version at `weight` percent: by the bucket of its key when
 * it has one (a key on the new version stays there as the weight grows), else by `random()`.
 */
export function routesToCandidate(weight: number, key: string | undefined, random: () => number): boolean {
  if (weight <= 0) return false;
  if (weight >= 100) return true;
  const bucket = key === undefined || key === "" ? random() * STICKY_BUCKETS : stickyBucket(key);
  return bucket < (weight / 100) * STICKY_BUCKETS;
}
