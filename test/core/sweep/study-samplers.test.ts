import { describe, expect, it } from "vitest";
import type { SearchDimension } from "../../../core/config/schema.ts";
import { renderStudyTable, summarizeStudy } from "../../../core/sweep/summarize-study.ts";
import { suggestTrial, trialSeed } from "../../../core/sweep/suggest-trial.ts";
import { makeStudy, trial } from "./study-fixtures.ts";

const GRID: Record<string, SearchDimension> = {
  learningRate: { min: 0.001, max: 0.1, integer: false, log: true },
  optimizer: { values: ["adam", "sgd"] },
};

describe("grid sampler in a study", () => {
  it("visits each of the 6 grid points once, then reports the grid used up", () => {
    let study = makeStudy({ sampler: "grid", space: GRID });
    const seen: string[] = [];
    for (let number = 0; number < 6; number++) {
      const s = suggestTrial(study, { number });
      if (!s.ok) throw new Error(s.message);
      seen.push(JSON.stringify(s.params));
      study = {
        ...study,
        trials: [
          ...study.trials,
          trial(number, number === 0 ? "running" : "complete", [1], { params: s.params }),
        ],
      };
    }
    expect(new Set(seen).size).toBe(6);
    expect(seen).toContain(JSON.stringify({ learningRate: 0.01, optimizer: "sgd" }));
    expect(suggestTrial(study, { number: 6 })).toMatchObject({ ok: false, reason: "grid-exhausted" });
  });

  it("gives a failed trial's point back", () => {
    const failed = trial(0, "failed", [], { params: { learningRate: 0.001, optimizer: "adam" } });
    const full = makeStudy({
      sampler: "grid",
      space: {
        optimizer: { values: ["adam"] },
        learningRate: { min: 0.001, max: 0.001, integer: false, log: false },
      },
    });
    expect(suggestTrial({ ...full, trials: [failed] }, { number: 1 })).toEqual({
      ok: true,
      params: { learningRate: 0.001, optimizer: "adam" },
    });
  });
});

describe("random sampler in a study", () => {
  it("draws inside the bounds, seeded by study seed and trial number", () => {
    const study = makeStudy({ sampler: "random", space: GRID });
    const a = suggestTrial(study, { number: 4 });
    expect(a).toEqual(suggestTrial({ ...study, trials: [trial(0, "complete", [1])] }, { number: 4 }));
    expect(a).not.toEqual(suggestTrial({ ...study, seed: 2 }, { number: 4 }));
    if (!a.ok) throw new Error("ok expected");
    expect(a.params.learningRate).toBeGreaterThanOrEqual(0.001);
    expect(a.params.learningRate).toBeLessThanOrEqual(0.1);
    // No two (seed, number) pairs share a stream: seed 1 trial 2 is not seed 2 trial 1.
    const seeds = Array.from({ length: 40 }, (_, s) =>
      Array.from({ length: 40 }, (_, n) => trialSeed(s, n)),
    ).flat();
    expect(new Set(seeds).size).toBe(1600);
  });

  it("refuses an empty search space", () => {
    expect(suggestTrial(makeStudy({ sampler: "random" }), { number: 0 })).toMatchObject({
      ok: false,
      reason: "empty-search-space",
    });
  });
});

describe("summarizeStudy", () => {
  const study = makeStudy({
    name: "lr",
    space: GRID,
    objective: {
      metric: "accuracy",
      direction: "maximize",
      intermediate: { metric: "val_accuracy", direction: "maximize" },
    },
    trials: [
      trial(0, "complete", [0.8, 0.9], { params: { learningRate: 0.01, optimizer: "adam" }, value: 0.91 }),
      trial(1, "pruned", [0.5], { params: { learningRate: 0.1, optimizer: "sgd" } }),
      trial(2, "complete", [0.9, 0.95], { params: { learningRate: 0.001, optimizer: "adam" }, value: 0.96 }),
      { ...trial(3, "failed", []), failure: { code: "x", message: "boom" } },
      trial(4, "running", [0.7]),
    ],
  });

  it("has exactly the documented shape, running trials left out", () => {
    expect(summarizeStudy(study)).toEqual({
      study: "lr",
      best: { trial: 2, params: { learningRate: 0.001, optimizer: "adam" }, value: 0.96 },
      trials: [
        {
          number: 0,
          state: "complete",
          params: { learningRate: 0.01, optimizer: "adam" },
          value: 0.91,
          epochs: 2,
        },
        {
          number: 1,
          state: "pruned",
          params: { learningRate: 0.1, optimizer: "sgd" },
          value: null,
          epochs: 1,
        },
        {
          number: 2,
          state: "complete",
          params: { learningRate: 0.001, optimizer: "adam" },
          value: 0.96,
          epochs: 2,
        },
        { number: 3, state: "failed", params: {}, value: null, epochs: 0 },
      ],
    });
  });

  it("has no best before a trial completes", () => {
    expect(summarizeStudy({ ...study, trials: [trial(0, "pruned", [1])] }).best).toBeNull();
  });

  it("renders the table with the best trial marked", () => {
    expect(renderStudyTable(study)).toMatchInlineSnapshot(`
      "Study **lr** (tpe, pruner none): 2 complete, 1 pruned, 1 failed. Best: trial 2, accuracy = 0.96 (maximize).

      | # | state | accuracy | epochs | learningRate | optimizer |
      |---|---|---:|---:|---|---|
      | 0 | complete | 0.91 | 2 | 0.01 | adam |
      | 1 | pruned | — | 1 | 0.1 | sgd |
      | 2 ★ | complete | 0.96 | 2 | 0.001 | adam |
      | 3 | failed | — | 0 |  |  |"
    `);
  });
});
