import type { Comparison, ComparisonReason, MetricReason } from "../compare/compare-runs.ts";

/** A metric value in JSON: non-finite numbers are spelled out, since JSON has no NaN or Infinity. */
export type JsonNumber = number | "NaN" | "Infinity" | "-Infinity" | null;

/** Version 1 of the machine-readable comparison (`compare --format json`, action outputs). */
export type ComparisonJson = {
  schemaVersion: 1;
  model: string | null;
  passed: boolean;
  reason: ComparisonReason;
  candidate: { label: string; runUrl: string | null };
  baseline: { label: string; runUrl: string | null } | null;
  primary: { name: string; change: string; improved: boolean } | null;
  metrics: {
    name: string;
    primary: boolean;
    direction: "maximize" | "minimize";
    baseline: JsonNumber;
    candidate: JsonNumber;
    delta: JsonNumber;
    relativeChange: JsonNumber;
    change: string;
    verdict: string;
    reason: MetricReason;
    message: string;
  }[];
  failed: { name: string; reason: MetricReason; message: string }[];
  paramsDiff: { name: string; baseline: unknown; candidate: unknown; change: string }[];
};

/** Builds the versioned JSON document for a comparison (stable key order). */
export function toComparisonJson(c: Comparison, opts: { modelName?: string } = {}): ComparisonJson {
  return {
    schemaVersion: 1,
    model: opts.modelName ?? null,
    passed: c.passed,
    reason: c.reason,
    candidate: { label: c.candidate.label, runUrl: c.candidate.runUrl ?? null },
    baseline: c.baseline ? { label: c.baseline.label, runUrl: c.baseline.runUrl ?? null } : null,
    primary: c.primary
      ? { name: c.primary.name, change: c.primary.change, improved: c.primary.improved }
      : null,
    metrics: c.rows.map((r) => ({
      name: r.name,
      primary: r.primary,
      direction: r.direction,
      baseline: num(r.baseline),
      candidate: num(r.candidate),
      delta: num(r.delta),
      relativeChange: num(r.relativeChange),
      change: r.change,
      verdict: r.verdict,
      reason: r.reason,
      message: r.message,
    })),
    failed: c.failed.map((f) => ({ name: f.name, reason: f.reason, message: f.message })),
    paramsDiff: c.paramsDiff.map((p) => ({
      name: p.name,
      baseline: p.change === "added" ? null : jsonValue(p.baseline),
      candidate: p.change === "removed" ? null : jsonValue(p.candidate),
      change: p.change,
    })),
  };
}

/** Renders a comparison as stable, versioned JSON text (`schemaVersion: 1`), two-space indented. */
export function renderComparisonJson(c: Comparison, opts: { modelName?: string } = {}): string {
  return `${JSON.stringify(toComparisonJson(c, opts), null, 2)}\n`;
}

function num(n: number | null): JsonNumber {
  if (n === null) return null;
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  return n;
}

function jsonValue(v: unknown): unknown {
  return typeof v === "number" ? num(v) : v;
}
