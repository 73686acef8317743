/**
 * Flattens nested parameters into dotted keys (`train.layers.0.units`). Leaves are primitives,
 * null, or empty arrays/objects; keys come out sorted.
 */
export function flattenParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value) && value.length > 0) {
      value.forEach((item, i) => walk(item, path ? `${path}.${i}` : String(i)));
    } else if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    } else if (path) {
      out[path] = value;
    }
  };
  walk(params, "");
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A parameter value as one line of text: strings as they are, everything else as JSON. */
export function formatParamValue(value: unknown): string {
  if (value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
