/** A metric value for people: integers as they are, otherwise 4 decimals, tiny or huge in exponent form. */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+∞";
  if (n === -Infinity) return "-∞";
  if (n === 0) return "0";
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const abs = Math.abs(n);
  if (abs < 1e-4 || abs >= 1e9) return n.toExponential(3);
  return n.toFixed(4);
}

/** A signed difference: always "+" or "-" unless it is exactly zero. */
export function formatDelta(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  const s = formatNumber(n);
  if (Number.isNaN(n) || n === 0 || s.startsWith("-") || s.startsWith("+")) return s;
  return `+${s}`;
}

/** A signed relative change as a percentage with 2 decimals, e.g. "+1.37%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return "—";
  if (!Number.isFinite(ratio)) return formatDelta(ratio);
  const pct = ratio * 100;
  const s = Math.abs(pct) >= 1e6 ? pct.toExponential(2) : pct.toFixed(2);
  if (/^-?0\.00$/.test(s)) return "0.00%";
  return `${pct > 0 ? "+" : ""}${s}%`;
}

/** A duration for people: "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const totalS = Math.round(s);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const sec = totalS % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  return `${m} min ${String(sec).padStart(2, "0")} s`;
}
