import { describe, expect, it } from "vitest";
import type { SearchDimension } from "../../../core/config/schema.ts";
import { mulberry32 } from "../../../core/data/split.ts";
import {
  buildParzen,
  defaultWeights,
  logPdfParzen,
  sampleParzen,
} from "../../../core/sweep/parzen-estimator.ts";
import type { SweepValue } from "../../../core/sweep/plan-sweep.ts";
import { sampleTpe, splitTrials, TPE_DEFAULTS } from "../../../core/sweep/sample-tpe.ts";
import { toSpace } from "../../../core/sweep/search-space.ts";
import { suggestTrial } from "../../../core/sweep/suggest-trial.ts";
import type { Study } from "../../../core/sweep/study.ts";
import { makeStudy, trial } from "./study-fixtures.ts";

const SPACE: Record<string, SearchDimension> = {
  learningRate: { min: 1e-4, max: 1, integer: false, log: true },
  units: { min: 1, max: 64, integer: true, log: false },
  optimizer: { values: ["adam", "sgd", "rmsprop", "adagrad"] },
};

/** Minimum 0 at learningRate 0.01, units 40, optimizer sgd. */
function objective(p: Record<string, SweepValue>): number {
  const lr = Math.log10(p.learningRate as number) + 2;
  const u = ((p.units as number) - 40) / 16;
  return lr * lr + u * u + (p.optimizer === "sgd" ? 0 : 1);
}

function nearOptimum(p: Record<string, SweepValue>): boolean {
  return objective(p) < 0.5;
}

/** Runs a sequential study of `n` trials and returns its params in order. */
function runStudy(sampler: "tpe" | "random", seed: number, n: number): Record<string, SweepValue>[] {
  let study: Study = makeStudy({ sampler, seed, space: SPACE });
  for (let number = 0; number < n; number++) {
    const s = suggestTrial(study, { number });
    if (!s.ok) throw new Error(s.message);
    const value = objective(s.params);
    study = { ...study, trials: [...study.trials, trial(number, "complete", [value], { params: s.params })] };
  }
  return study.trials.map((t) => t.params);
}

describe("TPE sampler", () => {
  it("concentrates its trials near a known optimum more than random search does, over 8 seeds", () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const share = (sampler: "tpe" | "random") =>
      seeds.map((seed) => runStudy(sampler, seed, 40).slice(10).filter(nearOptimum).length / 30);
    const tpe = share("tpe");
    const random = share("random");
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(tpe)).toBeGreaterThan(3 * mean(random));
    // And not by luck on one seed: TPE wins on most seeds.
    expect(tpe.filter((t, i) => t > random[i]!).length).toBeGreaterThanOrEqual(6);
  });

  it("is random for the first 10 finished trials, then follows the good group", () => {
    const study = makeStudy({ sampler: "tpe", space: SPACE });
    const random = makeStudy({ sampler: "random", space: SPACE });
    // Start-up: exactly the random sampler's draw for the same number and seed.
    expect(suggestTrial(study, { number: 3 })).toEqual(suggestTrial(random, { number: 3 }));
    const nine = Array.from({ length: 9 }, (_, i) =>
      trial(i, "complete", [i], { params: { learningRate: 0.01, units: 40, optimizer: "sgd" } }),
    );
    const running = trial(9, "running", [], { params: { learningRate: 0.5, units: 2, optimizer: "adam" } });
    // Running trials do not end the start-up.
    expect(suggestTrial({ ...study, trials: [...nine, running] }, { number: 10 })).toEqual(
      suggestTrial({ ...random, trials: [...nine, running] }, { number: 10 }),
    );
  });

  it("keeps every draw inside the bounds, integers integral, choices among the choices", () => {
    const space = toSpace(SPACE);
    const rand = mulberry32(5);
    const trials = Array.from({ length: 30 }, (_, i) =>
      trial(i, "complete", [rand()], {
        params: { learningRate: 10 ** (-4 * rand()), units: 1 + Math.floor(rand() * 64), optimizer: "adam" },
      }),
    );
    for (let k = 0; k < 50; k++) {
      const p = sampleTpe(space, trials, makeStudy().objective, mulberry32(100 + k));
      expect(p.learningRate).toBeGreaterThanOrEqual(1e-4);
      expect(p.learningRate).toBeLessThanOrEqual(1);
      expect(Number.isInteger(p.units) && (p.units as number) >= 1 && (p.units as number) <= 64).toBe(true);
      expect(["adam", "sgd", "rmsprop", "adagrad"]).toContain(p.optimizer);
    }
  });

  it("is deterministic for one seed and trial number", () => {
    const study = makeStudy({
      sampler: "tpe",
      space: SPACE,
      trials: runStudy("tpe", 3, 15).map((p, i) => trial(i, "complete", [objective(p)], { params: p })),
    });
    expect(suggestTrial(study, { number: 15 })).toEqual(suggestTrial(study, { number: 15 }));
    expect(suggestTrial(study, { number: 15 })).not.toEqual(suggestTrial(study, { number: 16 }));
  });
});

describe("splitTrials", () => {
  const objective = makeStudy().objective;
  it.each([
    // γ(n) = min(⌈0.1·n⌉, 25)
    [1, 1],
    [10, 1],
    [11, 2],
    [100, 10],
    [250, 25],
    [1000, 25],
  ])("γ(%i) = %i", (n, expected) => {
    expect(TPE_DEFAULTS.gamma(n)).toBe(expected);
  });

  it("ranks complete trials by value, then pruned ones by epochs reached; running trials are bad", () => {
    const trials = [
      trial(0, "complete", [0.5]),
      trial(1, "pruned", [0.9, 0.8, 0.7]),
      trial(2, "complete", [0.2]),
      trial(3, "pruned", [0.1]),
      trial(4, "running", [0.01]),
      trial(5, "pruned", [0.9, 0.6, 0.65]),
    ];
    const split = (n: number) => splitTrials(trials, n, objective).below.map((t) => t.number);
    expect(split(1)).toEqual([2]);
    expect(split(2)).toEqual([0, 2]);
    // Among pruned: 3 epochs beat 1 epoch; at equal epochs the better last value first.
    expect(split(3)).toEqual([0, 2, 5]);
    expect(split(4)).toEqual([0, 1, 2, 5]);
    expect(splitTrials(trials, 4, objective).above.map((t) => t.number)).toEqual([3, 4]);
  });
});

describe("Parzen estimator", () => {
  it.each([
    [0, []],
    [3, [1, 1, 1]],
    [24, Array.from({ length: 24 }, () => 1)],
  ])("defaultWeights(%i)", (n, expected) => {
    expect(defaultWeights(n)).toEqual(expected);
  });

  it("ramps the weights of trials older than the newest 25", () => {
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[4]).toBeCloseTo(1, 12);
    expect(w.slice(5).every((x) => x === 1)).toBe(true);
  });

  it("puts the prior's kernel at the middle with the range as width, and clips others (magic clip)", () => {
    const p = buildParzen(
      { kind: "float", name: "x", low: 0, high: 10, log: false },
      [1, 1.1, 9],
      TPE_DEFAULTS,
    );
    if (p.kind !== "numeric") throw new Error("numeric expected");
    expect(p.mus).toEqual([1, 1.1, 9, 5]);
    expect(p.sigmas[3]).toBe(10);
    // Neighbour gaps: 1 → max(1.1-1, ...) but outermost looks inwards only: 0.1; min sigma 10/5 = 2.
    expect(p.sigmas[0]).toBe(2);
    expect(p.sigmas[2]).toBe(4); // gap 9 − 5
    expect(p.weights).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it("integrates to one over a continuous range and sums to one over integers and choices", () => {
    const cont = buildParzen(
      { kind: "float", name: "x", low: -2, high: 3, log: false },
      [0, 2.5],
      TPE_DEFAULTS,
    );
    let integral = 0;
    const steps = 20000;
    for (let i = 0; i < steps; i++)
      integral += Math.exp(logPdfParzen(cont, -2 + (5 * (i + 0.5)) / steps)) * (5 / steps);
    expect(integral).toBeCloseTo(1, 4);
    const ints = buildParzen(
      { kind: "int", name: "u", low: 1, high: 8, log: false },
      [2, 7, 7],
      TPE_DEFAULTS,
    );
    const mass = Array.from({ length: 8 }, (_, i) => Math.exp(logPdfParzen(ints, i + 1))).reduce(
      (a, b) => a + b,
    );
    expect(mass).toBeCloseTo(1, 6);
    const cat = buildParzen(
      { kind: "categorical", name: "c", choices: ["a", "b", "c"] },
      [1, 1, 0],
      TPE_DEFAULTS,
    );
    const catMass = [0, 1, 2].map((i) => Math.exp(logPdfParzen(cat, i))).reduce((a, b) => a + b);
    expect(catMass).toBeCloseTo(1, 12);
    // The observed choice weighs most.
    expect(logPdfParzen(cat, 1)).toBeGreaterThan(logPdfParzen(cat, 2));
  });

  it("draws from where the observations are", () => {
    const p = buildParzen(
      { kind: "float", name: "x", low: 0, high: 100, log: false },
      Array.from({ length: 20 }, () => 10),
      TPE_DEFAULTS,
    );
    const rand = mulberry32(9);
    const draws = Array.from({ length: 2000 }, () => sampleParzen(p, rand));
    expect(draws.every((x) => x >= 0 && x <= 100)).toBe(true);
    expect(draws.filter((x) => x < 25).length / draws.length).toBeGreaterThan(0.8);
  });
});
