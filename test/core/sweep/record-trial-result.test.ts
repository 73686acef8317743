import { describe, expect, it } from "vitest";
import { openStudy } from "../../../core/sweep/open-study.ts";
import { planStudyTrials } from "../../../core/sweep/plan-study-trials.ts";
import { recordTrialResult, trialId, trialRunId } from "../../../core/sweep/record-trial-result.ts";
import { studyMaxEpochs, studyObjective } from "../../../core/sweep/study-objective.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { makeStudy, trial } from "./study-fixtures.ts";

const accuracy = {
  metric: "accuracy",
  direction: "maximize",
  intermediate: { metric: "val_accuracy", direction: "maximize" },
} as const;

describe("recordTrialResult", () => {
  const finished = (extra: { prunedAtEpoch?: number | null; metrics?: Record<string, number> } = {}) =>
    ({
      kind: "finished",
      metrics: extra.metrics ?? { accuracy: 0.9 },
      history: [
        { epoch: 1, val_accuracy: 0.8 },
        { epoch: 2, val_accuracy: NaN },
        { epoch: 3, val_accuracy: 0.9 },
      ],
      epochs: 3,
      prunedAtEpoch: extra.prunedAtEpoch ?? null,
    }) as const;

  it.each([
    ["complete with the objective", finished(), "complete", 0.9, undefined],
    ["pruned: no value", finished({ prunedAtEpoch: 3 }), "pruned", null, undefined],
    ["objective missing: failed", finished({ metrics: { loss: 1 } }), "failed", null, "sweep-metric-missing"],
    [
      "objective NaN: failed",
      finished({ metrics: { accuracy: NaN } }),
      "failed",
      null,
      "sweep-metric-missing",
    ],
    [
      "the worker failed",
      { kind: "failed", code: "feature-not-in-data", message: "x" } as const,
      "failed",
      null,
      "feature-not-in-data",
    ],
  ])("%s", (_name, result, state, value, code) => {
    const study = makeStudy({ objective: accuracy });
    const t = trial(0, "running", [0.1]);
    recordTrialResult(study, t, result);
    expect([t.state, t.value, t.failure?.code]).toEqual([state, value, code]);
    if (result.kind === "finished") {
      expect(t.intermediate).toEqual([0.8, null, 0.9]);
      expect(t.epochs).toBe(3);
    }
  });

  it("names runs after the study and the trial", () => {
    expect([trialId(7), trialRunId("lr", 12), trialId(1234)]).toEqual(["t007", "lr-t012", "t1234"]);
  });
});

describe("studyObjective and studyMaxEpochs", () => {
  const config = (extra: object) => ConfigSchema.parse({ model: { name: "m" }, ...extra });
  it.each([
    [undefined, {}, "val_loss", "minimize", "val_loss"],
    ["accuracy", {}, "accuracy", "maximize", "val_accuracy"],
    ["val_accuracy", {}, "val_accuracy", "maximize", "val_accuracy"],
    ["mae", {}, "mae", "minimize", "val_mae"],
    ["f1_macro", {}, "f1_macro", "maximize", "val_loss"],
    [undefined, { metrics: { primary: "log_loss" } }, "log_loss", "minimize", "val_loss"],
  ])("metric %s → %s (%s), pruned on %s", (metric, extra, name, direction, intermediate) => {
    const o = studyObjective(config(extra), metric);
    expect([o.metric, o.direction, o.intermediate.metric]).toEqual([name, direction, intermediate]);
  });

  it.each([
    [{}, 50],
    [{ train: { params: { epochs: 12 } } }, 12],
    [{ train: { search: { epochs: { min: 5, max: 81, integer: true } } } }, 81],
    [{ train: { search: { epochs: { values: [10, 30] } } } }, 30],
  ])("max epochs of %j is %i", (extra, expected) => {
    expect(studyMaxEpochs(config(extra))).toBe(expected);
  });
});

describe("openStudy and planStudyTrials", () => {
  const config = ConfigSchema.parse({
    model: { name: "m" },
    train: { search: { learningRate: { min: 0.001, max: 0.1, log: true } } },
  });

  it("creates a study with the defaults, then keeps it when the options agree or are left out", () => {
    const created = openStudy({ name: "m", config, stored: null, settings: {} });
    if (!created.ok) throw new Error(created.message);
    expect(created.study).toMatchObject({
      sampler: "tpe",
      pruner: "median",
      seed: 1,
      gridPoints: 3,
      maxEpochs: 50,
    });
    const again = openStudy({ name: "m", config, stored: created.study, settings: { sampler: "tpe" } });
    expect(again).toMatchObject({ ok: true, created: false });
  });

  it.each([
    [{ sampler: "random" as const }, "sampler"],
    [{ seed: 2 }, "seed"],
    [{ metric: "accuracy" }, "metric"],
  ])("refuses %j on a stored study", (settings, what) => {
    const stored = openStudy({ name: "m", config, stored: null, settings: {} });
    if (!stored.ok) throw new Error(stored.message);
    const r = openStudy({ name: "m", config, stored: stored.study, settings });
    expect(r).toMatchObject({ ok: false, reason: "study-settings-differ" });
    if (!r.ok) expect(r.message).toContain(what);
  });

  it("refuses a changed search space", () => {
    const stored = openStudy({ name: "m", config, stored: null, settings: {} });
    if (!stored.ok) throw new Error(stored.message);
    const other = ConfigSchema.parse({
      model: { name: "m" },
      train: { search: { learningRate: { min: 0.01, max: 0.1 } } },
    });
    expect(openStudy({ name: "m", config: other, stored: stored.study, settings: {} })).toMatchObject({
      ok: false,
    });
  });

  it("plans distinct running trials, each seeing those before it", () => {
    const study = makeStudy({
      sampler: "random",
      space: { learningRate: { min: 0.001, max: 0.1, integer: false, log: true } },
    });
    const plan = planStudyTrials(study, 3);
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.planned.map((t) => [t.number, t.state, t.runId, t.attempts])).toEqual([
      [0, "running", "s-t000", 1],
      [1, "running", "s-t001", 1],
      [2, "running", "s-t002", 1],
    ]);
    expect(new Set(plan.planned.map((t) => t.params.learningRate)).size).toBe(3);
    expect(study.trials).toHaveLength(3);
  });
});
