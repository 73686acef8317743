/** A key under which equal values (same type, same value) collide: 1 and "1" stay apart. */
export function valueKey(v: unknown): string {
  if (typeof v === "string") return `s:${v}`;
  if (typeof v === "number" || typeof v === "bigint") return `n:${String(v)}`;
  if (typeof v === "boolean") return `b:${String(v)}`;
  return `j:${JSON.stringify(v)}`;
}

/** A value as text, the way a regex sees it: strings as they are, anything else as JSON. */
export function valueText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  return JSON.stringify(v) ?? String(v);
}
