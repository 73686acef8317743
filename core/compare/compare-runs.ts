import type { MetricGate } from "../config/schema.ts";
import type { History } from "../run/run-record.ts";
import { flattenParams } from "./flatten-params.ts";

/** What compare needs from a run: a label to show, its metrics and params, optionally its history. */
export type RunSummary = {
  /** What users call the run: a version such as "v1.2.0", or a run id. */
  label: string;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  history?: History;
  runUrl?: string;
};

export type Direction = "maximize" | "minimize";

/** Why a metric row got its verdict. */
export const METRIC_REASONS = [
  "ok",
  "improved",
  "no-gate",
  "no-baseline",
  "regressed-absolute",
  "regressed-relative",
  "below-min-improvement",
  "below-min",
  "above-max",
  "missing-required",
  "missing-in-candidate",
  "missing-in-baseline",
  "not-a-number",
  "baseline-not-a-number",
] as const;
export type MetricReason = (typeof METRIC_REASONS)[number];

/** Why the comparison as a whole passed or failed. */
export const COMPARISON_REASONS = [
  "all-gates-passed",
  "no-baseline-gates-passed",
  "no-gates",
  "gates-failed",
  "no-metrics",
] as const;
export type ComparisonReason = (typeof COMPARISON_REASONS)[number];

/** pass/fail when a gate was evaluated, skip when a gate exists but could not apply, none without a gate. */
export type Verdict = "pass" | "fail" | "skip" | "none";
/** Movement of the value in the metric's better (improved) or worse (regressed) direction. */
export type Change = "improved" | "regressed" | "unchanged" | "not-comparable";

export type MetricRow = {
  name: string;
  primary: boolean;
  direction: Direction;
  gate: MetricGate | null;
  baseline: number | null;
  candidate: number | null;
  /** candidate − baseline; null when either is missing or not finite. */
  delta: number | null;
  /** delta / |baseline|; null when the baseline is 0, missing or not finite. */
  relativeChange: number | null;
  change: Change;
  verdict: Verdict;
  reason: MetricReason;
  /** One sentence for people explaining the verdict. */
  message: string;
};

export type ParamChange = {
  name: string;
  baseline: unknown;
  candidate: unknown;
  change: "added" | "removed" | "changed";
};

/** The run as the report shows it: params are flattened to dotted keys. */
export type RunRef = { label: string; runUrl?: string; history?: History; params: Record<string, unknown> };

export type Comparison = {
  passed: boolean;
  reason: ComparisonReason;
  candidate: RunRef;
  baseline: RunRef | null;
  primary: { name: string; change: Change; improved: boolean } | null;
  rows: MetricRow[];
  failed: { name: string; reason: MetricReason; message: string }[];
  /** Flattened (dotted) parameters that differ; unchanged ones are left out. Empty without a baseline. */
  paramsDiff: ParamChange[];
};

/** Relative and absolute slack for floating-point comparisons. */
const EPSILON = 1e-9;

/** Compares a candidate run with an optional baseline and evaluates every metric gate. */
export function compareRuns(input: {
  candidate: RunSummary;
  baseline?: RunSummary;
  gates: Record<string, MetricGate>;
  primary?: string;
}): Comparison {
  const { candidate, baseline, gates, primary } = input;
  const names = new Set<string>([
    ...Object.keys(candidate.metrics),
    ...Object.keys(baseline?.metrics ?? {}),
    ...Object.keys(gates),
  ]);
  if (primary !== undefined) names.delete(primary);
  const ordered = [...(primary !== undefined ? [primary] : []), ...[...names].sort(byName)];

  const rows = ordered.map((name) =>
    compareMetric({
      name,
      primary: name === primary,
      gate: gates[name] ?? null,
      candidate: valueOf(candidate.metrics, name),
      baseline: baseline ? valueOf(baseline.metrics, name) : undefined,
      hasBaseline: baseline !== undefined,
    }),
  );

  const failed = rows
    .filter((r) => r.verdict === "fail")
    .map((r) => ({ name: r.name, reason: r.reason, message: r.message }));
  const anyGate = rows.some((r) => r.gate !== null);
  const reason: ComparisonReason =
    Object.keys(candidate.metrics).length === 0
      ? "no-metrics"
      : failed.length > 0
        ? "gates-failed"
        : !anyGate
          ? "no-gates"
          : baseline === undefined
            ? "no-baseline-gates-passed"
            : "all-gates-passed";

  const primaryRow = primary === undefined ? undefined : rows.find((r) => r.name === primary);
  return {
    passed: reason !== "gates-failed" && reason !== "no-metrics",
    reason,
    candidate: pickRun(candidate),
    baseline: baseline ? pickRun(baseline) : null,
    primary: primaryRow
      ? { name: primaryRow.name, change: primaryRow.change, improved: primaryRow.change === "improved" }
      : null,
    rows,
    failed,
    paramsDiff: baseline ? diffParams(baseline.params, candidate.params) : [],
  };
}

function pickRun(run: RunSummary): RunRef {
  return {
    label: run.label,
    params: flattenParams(run.params),
    ...(run.runUrl !== undefined ? { runUrl: run.runUrl } : {}),
    ...(run.history !== undefined ? { history: run.history } : {}),
  };
}

function valueOf(metrics: Record<string, number>, name: string): number | undefined {
  return Object.hasOwn(metrics, name) ? metrics[name] : undefined;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when a and b differ by no more than floating-point noise. */
function near(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= EPSILON * Math.max(1, Math.abs(a), Math.abs(b));
}

function compareMetric(m: {
  name: string;
  primary: boolean;
  gate: MetricGate | null;
  candidate: number | undefined;
  baseline: number | undefined;
  hasBaseline: boolean;
}): MetricRow {
  const { gate, candidate: c, baseline: b } = m;
  const direction: Direction = gate?.direction ?? guessDirection(m.name);
  const bothFinite = c !== undefined && b !== undefined && Number.isFinite(c) && Number.isFinite(b);
  const delta = bothFinite ? c - b : null;
  const relativeChange = bothFinite && b !== 0 ? (c - b) / Math.abs(b) : null;
  // Positive when the candidate is better than the baseline.
  const gain = bothFinite ? (direction === "maximize" ? c - b : b - c) : null;
  const change: Change =
    gain === null
      ? "not-comparable"
      : near(c as number, b as number)
        ? "unchanged"
        : gain > 0
          ? "improved"
          : "regressed";

  const base = {
    name: m.name,
    primary: m.primary,
    direction,
    gate,
    baseline: b ?? null,
    candidate: c ?? null,
    delta,
    relativeChange,
    change,
  };
  const row = (verdict: Verdict, reason: MetricReason, message: string): MetricRow => ({
    ...base,
    verdict,
    reason,
    message,
  });

  if (c === undefined) {
    if (gate?.required)
      return row("fail", "missing-required", "required metric is missing from the candidate");
    return row(gate ? "skip" : "none", "missing-in-candidate", "the candidate does not report this metric");
  }
  if (!Number.isFinite(c)) {
    return row(gate ? "fail" : "none", "not-a-number", `the candidate's value is ${String(c)}`);
  }
  if (!gate) {
    if (m.hasBaseline && b === undefined)
      return row("none", "missing-in-baseline", "new metric: the baseline does not report it");
    return row("none", "no-gate", "no gate for this metric");
  }
  if (gate.min !== undefined && c < gate.min && !near(c, gate.min)) {
    return row("fail", "below-min", `${fmt(c)} is below the minimum ${fmt(gate.min)}`);
  }
  if (gate.max !== undefined && c > gate.max && !near(c, gate.max)) {
    return row("fail", "above-max", `${fmt(c)} is above the maximum ${fmt(gate.max)}`);
  }
  if (!m.hasBaseline) return row("pass", "no-baseline", "no baseline to compare with; absolute limits hold");
  if (b === undefined)
    return row("pass", "missing-in-baseline", "the baseline does not report it; absolute limits hold");
  if (!Number.isFinite(b)) {
    return row("pass", "baseline-not-a-number", `the baseline's value is ${String(b)}; absolute limits hold`);
  }

  const worse = -(gain as number);
  const relative: Pick<MetricGate, "maxRegression" | "maxRelativeRegression" | "minImprovement"> =
    gateIsEmpty(gate) ? { maxRegression: 0 } : gate;
  if (
    relative.maxRegression !== undefined &&
    worse > relative.maxRegression &&
    !near(worse, relative.maxRegression)
  ) {
    return row(
      "fail",
      "regressed-absolute",
      relative.maxRegression === 0
        ? `got worse by ${fmt(worse)}; no regression is allowed`
        : `got worse by ${fmt(worse)}; at most ${fmt(relative.maxRegression)} is allowed`,
    );
  }
  if (relative.maxRelativeRegression !== undefined && worse > 0 && !near(c, b)) {
    const ratio = b === 0 ? Infinity : worse / Math.abs(b);
    if (ratio > relative.maxRelativeRegression && !near(ratio, relative.maxRelativeRegression)) {
      return row(
        "fail",
        "regressed-relative",
        `got worse by ${b === 0 ? "an unbounded share (baseline is 0)" : pct(ratio)}; at most ${pct(relative.maxRelativeRegression)} is allowed`,
      );
    }
  }
  if (relative.minImprovement !== undefined) {
    const g = gain as number;
    if (g < relative.minImprovement && !near(g, relative.minImprovement)) {
      return row(
        "fail",
        "below-min-improvement",
        `${g > 0 ? `improved by ${fmt(g)}` : g < 0 ? `got worse by ${fmt(-g)}` : "unchanged"}; an improvement of at least ${fmt(relative.minImprovement)} is required`,
      );
    }
  }
  return change === "improved"
    ? row("pass", "improved", "gate holds; improved")
    : row("pass", "ok", "gate holds");
}

/** A gate without thresholds means "must not get worse than the baseline". */
function gateIsEmpty(g: MetricGate): boolean {
  return (
    g.min === undefined &&
    g.max === undefined &&
    g.minImprovement === undefined &&
    g.maxRegression === undefined &&
    g.maxRelativeRegression === undefined
  );
}

/** Metrics without a gate still get a direction so improved/regressed can be shown. */
function guessDirection(name: string): Direction {
  return /(^|[._/-])(loss|error|err|mse|rmse|mae|mape|logloss|perplexity|latency|time|duration)s?($|[._/-])/i.test(
    name,
  ) || /loss$|error$/i.test(name)
    ? "minimize"
    : "maximize";
}

function fmt(n: number): string {
  return Number.isInteger(n)
    ? String(n)
    : Math.abs(n) < 1e-4 || Math.abs(n) >= 1e9
      ? n.toExponential(3)
      : String(Number(n.toFixed(6)));
}

function pct(r: number): string {
  return `${Number((r * 100).toFixed(2))}%`;
}

function diffParams(baseline: Record<string, unknown>, candidate: Record<string, unknown>): ParamChange[] {
  const b = flattenParams(baseline);
  const c = flattenParams(candidate);
  const names = [...new Set([...Object.keys(b), ...Object.keys(c)])].sort(byName);
  const out: ParamChange[] = [];
  for (const name of names) {
    const inB = Object.hasOwn(b, name);
    const inC = Object.hasOwn(c, name);
    if (inB && !inC) out.push({ name, baseline: b[name], candidate: undefined, change: "removed" });
    else if (!inB && inC) out.push({ name, baseline: undefined, candidate: c[name], change: "added" });
    else if (!sameParam(b[name], c[name]))
      out.push({ name, baseline: b[name], candidate: c[name], change: "changed" });
  }
  return out;
}

function sameParam(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b) || near(a, b);
  return JSON.stringify(a) === JSON.stringify(b);
}
