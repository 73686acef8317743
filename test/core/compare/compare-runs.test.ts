import { describe, expect, it } from "vitest";
import {
  COMPARISON_REASONS,
  METRIC_REASONS,
  compareRuns,
  type MetricReason,
  type RunSummary,
  type Verdict,
  type Change,
} from "../../../core/compare/compare-runs.ts";
import { MetricGateSchema, type MetricGate } from "../../../core/config/schema.ts";

const gate = (g: Partial<MetricGate> = {}): MetricGate => MetricGateSchema.parse(g);
const run = (
  metrics: Record<string, number>,
  params: Record<string, unknown> = {},
  label = "run",
): RunSummary => ({
  label,
  metrics,
  params,
});

type Case = {
  title: string;
  name?: string;
  gate?: MetricGate;
  baseline?: number | "absent" | "no-baseline";
  candidate?: number | "absent";
  verdict: Verdict;
  reason: MetricReason;
  change: Change;
};

const NO_BASELINE = "no-baseline" as const;
const cases: Case[] = [
  {
    title: "no gate, higher accuracy",
    baseline: 0.9,
    candidate: 0.91,
    verdict: "none",
    reason: "no-gate",
    change: "improved",
  },
  {
    title: "no gate, loss guessed as minimize",
    name: "val_loss",
    baseline: 0.2,
    candidate: 0.3,
    verdict: "none",
    reason: "no-gate",
    change: "regressed",
  },
  {
    title: "empty gate: any regression fails",
    gate: gate(),
    baseline: 0.9,
    candidate: 0.89,
    verdict: "fail",
    reason: "regressed-absolute",
    change: "regressed",
  },
  {
    title: "empty gate: equal holds",
    gate: gate(),
    baseline: 0.9,
    candidate: 0.9,
    verdict: "pass",
    reason: "ok",
    change: "unchanged",
  },
  {
    title: "empty gate: float noise is unchanged",
    gate: gate(),
    baseline: 0.3,
    candidate: 0.1 + 0.2,
    verdict: "pass",
    reason: "ok",
    change: "unchanged",
  },
  {
    title: "empty gate: improvement",
    gate: gate(),
    baseline: 0.9,
    candidate: 0.95,
    verdict: "pass",
    reason: "improved",
    change: "improved",
  },
  {
    title: "empty gate, minimize: higher loss fails",
    gate: gate({ direction: "minimize" }),
    baseline: 0.2,
    candidate: 0.21,
    verdict: "fail",
    reason: "regressed-absolute",
    change: "regressed",
  },
  {
    title: "maxRegression: small drop allowed",
    gate: gate({ maxRegression: 0.01 }),
    baseline: 0.9,
    candidate: 0.891,
    verdict: "pass",
    reason: "ok",
    change: "regressed",
  },
  {
    title: "maxRegression: exactly at the limit holds",
    gate: gate({ maxRegression: 0.01 }),
    baseline: 0.9,
    candidate: 0.89,
    verdict: "pass",
    reason: "ok",
    change: "regressed",
  },
  {
    title: "maxRegression: larger drop fails",
    gate: gate({ maxRegression: 0.01 }),
    baseline: 0.9,
    candidate: 0.88,
    verdict: "fail",
    reason: "regressed-absolute",
    change: "regressed",
  },
  {
    title: "maxRelativeRegression, minimize: +4.5% holds",
    gate: gate({ direction: "minimize", maxRelativeRegression: 0.05 }),
    baseline: 0.2,
    candidate: 0.209,
    verdict: "pass",
    reason: "ok",
    change: "regressed",
  },
  {
    title: "maxRelativeRegression, minimize: +5.5% fails",
    gate: gate({ direction: "minimize", maxRelativeRegression: 0.05 }),
    baseline: 0.2,
    candidate: 0.211,
    verdict: "fail",
    reason: "regressed-relative",
    change: "regressed",
  },
  {
    title: "maxRelativeRegression with a zero baseline: any regression fails",
    gate: gate({ direction: "minimize", maxRelativeRegression: 0.5 }),
    baseline: 0,
    candidate: 0.01,
    verdict: "fail",
    reason: "regressed-relative",
    change: "regressed",
  },
  {
    title: "maxRelativeRegression with a zero baseline: equal holds",
    gate: gate({ direction: "minimize", maxRelativeRegression: 0.5 }),
    baseline: 0,
    candidate: 0,
    verdict: "pass",
    reason: "ok",
    change: "unchanged",
  },
  {
    title: "minImprovement not reached",
    gate: gate({ minImprovement: 0.01 }),
    baseline: 0.9,
    candidate: 0.905,
    verdict: "fail",
    reason: "below-min-improvement",
    change: "improved",
  },
  {
    title: "minImprovement exactly reached",
    gate: gate({ minImprovement: 0.01 }),
    baseline: 0.9,
    candidate: 0.91,
    verdict: "pass",
    reason: "improved",
    change: "improved",
  },
  {
    title: "minImprovement, minimize: lower loss counts as improvement",
    gate: gate({ direction: "minimize", minImprovement: 0.01 }),
    baseline: 0.3,
    candidate: 0.29,
    verdict: "pass",
    reason: "improved",
    change: "improved",
  },
  {
    title: "negative minImprovement allows a bounded drop",
    gate: gate({ minImprovement: -0.02 }),
    baseline: 0.9,
    candidate: 0.885,
    verdict: "pass",
    reason: "ok",
    change: "regressed",
  },
  {
    title: "min threshold",
    gate: gate({ min: 0.9 }),
    baseline: 0.8,
    candidate: 0.85,
    verdict: "fail",
    reason: "below-min",
    change: "improved",
  },
  {
    title: "max threshold on a minimized metric",
    name: "latency_ms",
    gate: gate({ direction: "minimize", max: 100 }),
    baseline: 130,
    candidate: 120,
    verdict: "fail",
    reason: "above-max",
    change: "improved",
  },
  {
    title: "min only: a regression above the floor holds",
    gate: gate({ min: 0.8 }),
    baseline: 0.95,
    candidate: 0.85,
    verdict: "pass",
    reason: "ok",
    change: "regressed",
  },
  {
    title: "required and missing",
    gate: gate({ required: true }),
    baseline: 0.9,
    candidate: "absent",
    verdict: "fail",
    reason: "missing-required",
    change: "not-comparable",
  },
  {
    title: "gated, not required, missing",
    gate: gate(),
    baseline: 0.9,
    candidate: "absent",
    verdict: "skip",
    reason: "missing-in-candidate",
    change: "not-comparable",
  },
  {
    title: "no gate, missing",
    baseline: 0.9,
    candidate: "absent",
    verdict: "none",
    reason: "missing-in-candidate",
    change: "not-comparable",
  },
  {
    title: "NaN candidate never passes",
    gate: gate({ maxRegression: 1 }),
    baseline: 0.9,
    candidate: NaN,
    verdict: "fail",
    reason: "not-a-number",
    change: "not-comparable",
  },
  {
    title: "+Infinity candidate fails",
    gate: gate({ min: 0 }),
    baseline: 0.9,
    candidate: Infinity,
    verdict: "fail",
    reason: "not-a-number",
    change: "not-comparable",
  },
  {
    title: "-Infinity loss is not a win",
    name: "loss",
    gate: gate({ direction: "minimize" }),
    baseline: 0.2,
    candidate: -Infinity,
    verdict: "fail",
    reason: "not-a-number",
    change: "not-comparable",
  },
  {
    title: "NaN without a gate is shown, not failed",
    baseline: 0.9,
    candidate: NaN,
    verdict: "none",
    reason: "not-a-number",
    change: "not-comparable",
  },
  {
    title: "new metric without a gate",
    baseline: "absent",
    candidate: 0.9,
    verdict: "none",
    reason: "missing-in-baseline",
    change: "not-comparable",
  },
  {
    title: "new gated metric: absolute limits still apply",
    gate: gate({ min: 0.5 }),
    baseline: "absent",
    candidate: 0.9,
    verdict: "pass",
    reason: "missing-in-baseline",
    change: "not-comparable",
  },
  {
    title: "new gated metric below its min",
    gate: gate({ min: 0.95 }),
    baseline: "absent",
    candidate: 0.9,
    verdict: "fail",
    reason: "below-min",
    change: "not-comparable",
  },
  {
    title: "NaN baseline: relative gates cannot apply",
    gate: gate({ maxRegression: 0 }),
    baseline: NaN,
    candidate: 0.9,
    verdict: "pass",
    reason: "baseline-not-a-number",
    change: "not-comparable",
  },
  {
    title: "first model: relative gates are skipped",
    gate: gate({ minImprovement: 0.05 }),
    baseline: NO_BASELINE,
    candidate: 0.9,
    verdict: "pass",
    reason: "no-baseline",
    change: "not-comparable",
  },
  {
    title: "first model: min still applies",
    gate: gate({ min: 0.95 }),
    baseline: NO_BASELINE,
    candidate: 0.9,
    verdict: "fail",
    reason: "below-min",
    change: "not-comparable",
  },
];

describe("compareRuns: one metric", () => {
  it.each(cases)("$title", (c) => {
    const name = c.name ?? "accuracy";
    const cand = c.candidate === "absent" || c.candidate === undefined ? {} : { [name]: c.candidate };
    const base =
      c.baseline === NO_BASELINE
        ? undefined
        : run(c.baseline === "absent" || c.baseline === undefined ? { other: 1 } : { [name]: c.baseline });
    const result = compareRuns({
      candidate: run({ ...cand, other: 1 }),
      ...(base ? { baseline: base } : {}),
      gates: c.gate ? { [name]: c.gate } : {},
    });
    const row = result.rows.find((r) => r.name === name);
    expect(row).toBeDefined();
    expect({ verdict: row?.verdict, reason: row?.reason, change: row?.change }).toEqual({
      verdict: c.verdict,
      reason: c.reason,
      change: c.change,
    });
    expect(result.passed).toBe(c.verdict !== "fail");
    expect(row?.message).not.toBe("");
  });

  it("covers every metric reason code", () => {
    expect(new Set(cases.map((c) => c.reason))).toEqual(new Set(METRIC_REASONS));
  });
});

describe("compareRuns: deltas", () => {
  it.each([
    { baseline: 0.8, candidate: 0.9, delta: 0.1, relative: 0.125 },
    { baseline: 0.5, candidate: 0.4, delta: -0.1, relative: -0.2 },
    { baseline: -2, candidate: -1, delta: 1, relative: 0.5 },
    { baseline: 0, candidate: 0.3, delta: 0.3, relative: null },
    { baseline: NaN, candidate: 0.3, delta: null, relative: null },
  ])(
    "$baseline → $candidate: delta $delta, relative $relative",
    ({ baseline, candidate, delta, relative }) => {
      const [row] = compareRuns({
        candidate: run({ m: candidate }),
        baseline: run({ m: baseline }),
        gates: {},
      }).rows;
      if (delta === null) expect(row?.delta).toBeNull();
      else expect(row?.delta).toBeCloseTo(delta, 12);
      if (relative === null) expect(row?.relativeChange).toBeNull();
      else expect(row?.relativeChange).toBeCloseTo(relative, 12);
    },
  );
});

describe("compareRuns: overall result", () => {
  const accuracyGate = { accuracy: gate({ maxRegression: 0.01 }) };
  it.each([
    {
      title: "every gate holds",
      candidate: { accuracy: 0.95 },
      baseline: { accuracy: 0.9 },
      gates: accuracyGate,
      passed: true,
      reason: "all-gates-passed",
    },
    {
      title: "a gate fails",
      candidate: { accuracy: 0.85 },
      baseline: { accuracy: 0.9 },
      gates: accuracyGate,
      passed: false,
      reason: "gates-failed",
    },
    {
      title: "no gates configured",
      candidate: { accuracy: 0.5 },
      baseline: { accuracy: 0.9 },
      gates: {},
      passed: true,
      reason: "no-gates",
    },
    {
      title: "first model within its limits",
      candidate: { accuracy: 0.95 },
      baseline: undefined,
      gates: { accuracy: gate({ min: 0.9 }) },
      passed: true,
      reason: "no-baseline-gates-passed",
    },
    {
      title: "first model below its limits",
      candidate: { accuracy: 0.85 },
      baseline: undefined,
      gates: { accuracy: gate({ min: 0.9 }) },
      passed: false,
      reason: "gates-failed",
    },
    {
      title: "candidate reported no metrics",
      candidate: {},
      baseline: { accuracy: 0.9 },
      gates: {},
      passed: false,
      reason: "no-metrics",
    },
  ] as const)("$title → $reason", ({ candidate, baseline, gates, passed, reason }) => {
    const result = compareRuns({
      candidate: run(candidate),
      ...(baseline ? { baseline: run(baseline) } : {}),
      gates,
    });
    expect(result.passed).toBe(passed);
    expect(result.reason).toBe(reason);
    expect(COMPARISON_REASONS).toContain(result.reason);
  });

  it("lists every failed gate with its reason", () => {
    const result = compareRuns({
      candidate: run({ accuracy: 0.8, loss: NaN }),
      baseline: run({ accuracy: 0.9, loss: 0.2 }),
      gates: { accuracy: gate(), loss: gate({ direction: "minimize" }), f1: gate({ required: true }) },
    });
    expect(result.failed.map((f) => [f.name, f.reason])).toEqual([
      ["accuracy", "regressed-absolute"],
      ["f1", "missing-required"],
      ["loss", "not-a-number"],
    ]);
  });

  it("puts the primary metric first, then every metric of either run or gate by name", () => {
    const result = compareRuns({
      candidate: run({ zeta: 1, loss: 0.1, auc: 0.9 }),
      baseline: run({ beta: 1, loss: 0.2 }),
      gates: { gated_only: gate() },
      primary: "loss",
    });
    expect(result.rows.map((r) => r.name)).toEqual(["loss", "auc", "beta", "gated_only", "zeta"]);
    expect(result.rows[0]?.primary).toBe(true);
    expect(result.primary).toEqual({ name: "loss", change: "improved", improved: true });
  });

  it("reports primary as not improved when it is missing from the baseline", () => {
    const result = compareRuns({ candidate: run({ f1: 0.9 }), baseline: run({}), gates: {}, primary: "f1" });
    expect(result.primary).toEqual({ name: "f1", change: "not-comparable", improved: false });
  });
});

describe("compareRuns: parameter diff", () => {
  it("flattens params to dotted keys and lists added, removed and changed ones only", () => {
    const result = compareRuns({
      candidate: run(
        { a: 1 },
        { lr: 0.001, layers: [{ units: 32 }], optimizer: "adam", seed: 42, extra: true },
      ),
      baseline: run(
        { a: 1 },
        { lr: 0.01, layers: [{ units: 16 }], optimizer: "adam", seed: 42, momentum: 0.9 },
      ),
      gates: {},
    });
    expect(result.paramsDiff).toEqual([
      { name: "extra", baseline: undefined, candidate: true, change: "added" },
      { name: "layers.0.units", baseline: 16, candidate: 32, change: "changed" },
      { name: "lr", baseline: 0.01, candidate: 0.001, change: "changed" },
      { name: "momentum", baseline: 0.9, candidate: undefined, change: "removed" },
    ]);
  });

  it("has no parameter diff without a baseline", () => {
    expect(compareRuns({ candidate: run({ a: 1 }, { lr: 1 }), gates: {} }).paramsDiff).toEqual([]);
  });
});
