import { describe, expect, it } from "vitest";
import { SearchDimensionSchema, type SearchDimension } from "../../../core/config/schema.ts";
import { MAX_TRIALS, planSweep } from "../../../core/sweep/plan-sweep.ts";
import { pickBestTrial } from "../../../core/sweep/pick-best-trial.ts";

const dim = (d: unknown): SearchDimension => SearchDimensionSchema.parse(d);
const SPACE = {
  learningRate: dim({ min: 0.0001, max: 0.1, log: true }),
  epochs: dim({ min: 10, max: 200, integer: true }),
  optimizer: dim({ values: ["adam", "sgd"] }),
  dropout: dim({ min: 0, max: 0.5 }),
};

describe("planSweep", () => {
  it("draws the same random trials for the same seed, other trials for another", () => {
    const a = planSweep(SPACE, { trials: 20, sampler: "random", seed: 7 });
    const b = planSweep(SPACE, { trials: 20, sampler: "random", seed: 7 });
    const c = planSweep(SPACE, { trials: 20, sampler: "random", seed: 8 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("keeps every random value inside its bounds, integers whole, values from the list", () => {
    const plan = planSweep(SPACE, { trials: 200, sampler: "random", seed: 1 });
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.trials).toHaveLength(200);
    expect(plan.trials[0]?.id).toBe("t001");
    for (const { params } of plan.trials) {
      expect(params["learningRate"]).toBeGreaterThanOrEqual(0.0001);
      expect(params["learningRate"]).toBeLessThanOrEqual(0.1);
      expect(Number.isInteger(params["epochs"])).toBe(true);
      expect(params["epochs"]).toBeGreaterThanOrEqual(10);
      expect(params["epochs"]).toBeLessThanOrEqual(200);
      expect(["adam", "sgd"]).toContain(params["optimizer"]);
      expect(params["dropout"]).toBeGreaterThanOrEqual(0);
      expect(params["dropout"]).toBeLessThanOrEqual(0.5);
    }
  });

  it("samples a log range log-uniformly: about half the draws below the geometric mean", () => {
    const plan = planSweep(
      { lr: dim({ min: 0.0001, max: 1, log: true }) },
      { trials: 256, sampler: "random", seed: 3 },
    );
    if (!plan.ok) throw new Error(plan.message);
    const below = plan.trials.filter((t) => (t.params["lr"] as number) < 0.01).length;
    expect(below / 256).toBeGreaterThan(0.4);
    expect(below / 256).toBeLessThan(0.6);
  });

  it("stops a random sweep when a small discrete space runs out instead of repeating trials", () => {
    const plan = planSweep(
      { optimizer: dim({ values: ["adam", "sgd"] }) },
      { trials: 10, sampler: "random", seed: 1 },
    );
    expect(plan.ok && plan.trials.map((t) => t.params["optimizer"]).sort()).toEqual(["adam", "sgd"]);
  });

  it.each([
    [100, 2 * 3 * 2, "the whole grid"],
    [4, 4, "an even spread of the grid"],
  ])("grid with %i trials gives %i trials (%s)", (trials, expected) => {
    const space = {
      optimizer: dim({ values: ["adam", "sgd"] }),
      learningRate: dim({ min: 0.001, max: 0.1, log: true }),
      epochs: dim({ min: 10, max: 11, integer: true }),
    };
    const plan = planSweep(space, { trials, sampler: "grid", seed: 1 });
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.spaceSize).toBe(12);
    expect(plan.trials).toHaveLength(expected);
    expect(new Set(plan.trials.map((t) => JSON.stringify(t.params))).size).toBe(expected);
    if (trials >= 12) {
      expect([...new Set(plan.trials.map((t) => t.params["learningRate"]))].sort()).toEqual([
        0.001, 0.01, 0.1,
      ]);
    }
  });

  it.each([
    [{}, { trials: 4, sampler: "random", seed: 1 }, "empty-search-space"],
    [SPACE, { trials: 0, sampler: "random", seed: 1 }, "invalid-trial-count"],
    [SPACE, { trials: MAX_TRIALS + 1, sampler: "grid", seed: 1 }, "too-many-trials"],
  ] as const)("refuses %#: %s", (space, options, reason) => {
    expect(planSweep(space, options)).toMatchObject({ ok: false, reason });
  });
});

describe("pickBestTrial", () => {
  const trials = [
    { id: "t01", params: { lr: 0.1 }, metrics: { accuracy: 0.9, loss: 0.3 } },
    { id: "t02", params: { lr: 0.01 }, metrics: { accuracy: 0.95, loss: 0.2 } },
    { id: "t03", params: { lr: 0.001 }, metrics: { loss: 0.1 } },
    { id: "t04", params: { lr: 0.05 }, metrics: { accuracy: Number.NaN, loss: 0.25 } },
  ];

  it.each([
    ["accuracy", "maximize", "t02", ["t02", "t01", "t03", "t04"]],
    ["loss", "minimize", "t03", ["t03", "t02", "t04", "t01"]],
  ] as const)("ranks by %s (%s)", (metric, direction, best, order) => {
    const r = pickBestTrial(trials, { metric, direction });
    expect(r.ok && r.best.id).toBe(best);
    expect(r.ranked.map((t) => t.id)).toEqual(order);
  });

  it.each([
    [[], "no-trials"],
    [[{ id: "t01", params: {}, metrics: { loss: 1 } }], "metric-missing"],
  ] as const)("fails with a reason %#", (list, reason) => {
    expect(pickBestTrial(list, { metric: "accuracy", direction: "maximize" })).toMatchObject({
      ok: false,
      reason,
    });
  });
});
