/** Metrics as JSON for the `metrics` output; NaN and infinities are spelled out as strings. */
export function metricsJson(metrics: Record<string, number>): string {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(metrics)) out[k] = Number.isFinite(v) ? v : String(v);
  return JSON.stringify(out);
}
