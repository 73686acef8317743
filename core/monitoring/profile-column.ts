import {
  FEW_VALUES,
  PROFILE_VALUES_LIMIT,
  type CategoricalProfile,
  type ColumnProfile,
  type NumericProfile,
} from "./reference-profile.ts";

const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
const HISTOGRAM_BINS = 10;

/** The text a value is counted under in category frequencies: numbers and booleans as JavaScript prints them. */
export function categoryKey(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** A numeric value, or undefined when `v` is missing or not a finite number (numeric text counts). */
export function numericValue(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Profiles one column: numeric when every present value is a number, else categorical. */
export function profileColumn(values: readonly unknown[]): ColumnProfile {
  const present = values.filter((v) => v !== null && v !== undefined && v !== "");
  const numeric = present.length > 0 && present.every((v) => typeof v === "number" && Number.isFinite(v));
  return numeric
    ? profileNumeric(present as number[], values.length - present.length)
    : profileCategorical(values);
}

/** Value counts of a column (missing values left out). */
export function countValues(values: Iterable<unknown>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) {
    const k = categoryKey(v);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

function profileCategorical(values: readonly unknown[]): CategoricalProfile {
  const counts = countValues(values);
  let count = 0;
  for (const c of counts.values()) count += c;
  return {
    kind: "categorical",
    count,
    missing: values.length - count,
    distinct: counts.size,
    frequencies: Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

function profileNumeric(values: number[], missing: number): NumericProfile {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const mean = sorted.reduce((s, v) => s + v, 0) / n;
  const std = Math.sqrt(sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  const distinct = new Set(sorted).size;
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  return {
    kind: "numeric",
    count: n,
    missing,
    distinct,
    mean,
    std,
    min,
    max,
    quantiles: Object.fromEntries(
      QUANTILES.map((q) => [`p${String(Math.round(q * 100)).padStart(2, "0")}`, quantile(sorted, q)]),
    ),
    histogram: histogram(sorted, min, max),
    deciles: Array.from({ length: 9 }, (_, k) => quantile(sorted, (k + 1) / 10)),
    values: n <= PROFILE_VALUES_LIMIT ? Array.from(sorted) : orderStatistics(sorted, PROFILE_VALUES_LIMIT),
    sampled: n > PROFILE_VALUES_LIMIT,
    ...(distinct <= FEW_VALUES ? { frequencies: Object.fromEntries(countValues(sorted)) } : {}),
  };
}

/** Linear interpolation between order statistics (numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** `k` values standing for equal shares of the sorted column: the values at quantiles (i + ½) / k. */
function orderStatistics(sorted: Float64Array, k: number): number[] {
  return Array.from({ length: k }, (_, i) => sorted[Math.floor(((i + 0.5) / k) * sorted.length)]!);
}

function histogram(sorted: Float64Array, min: number, max: number): NumericProfile["histogram"] {
  const width = (max - min) / HISTOGRAM_BINS;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, k) =>
    k === HISTOGRAM_BINS ? max : min + k * width,
  );
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const v of sorted) {
    const bin = width === 0 ? 0 : Math.min(HISTOGRAM_BINS - 1, Math.floor((v - min) / width));
    counts[bin]!++;
  }
  return { edges, counts };
}
