/**
 * Flattens a metrics document, flat (`{ "accuracy": 0.9 }`) or DVC-style nested
 * (`{ "eval": { "accuracy": 0.9 } }` → `eval.accuracy`), keeping numeric leaves only.
 * Strings, booleans, null and arrays are ignored.
 */
export function flattenMetrics(doc: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (value: unknown, path: string): void => {
    if (typeof value === "number") {
      if (path) out[path] = value;
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(doc, "");
  return out;
}
