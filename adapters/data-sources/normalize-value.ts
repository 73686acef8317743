const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Columnar readers hand back BigInt, Date and nested values: rows carry plain JSON values so that
 * the same data hashes to the same version whatever format it came in.
 */
export function normalizeValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === "bigint") {
    return v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : v.toString();
  }
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (Array.isArray(v)) return v.map(normalizeValue);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalizeValue(x);
    return out;
  }
  return v;
}
