import { describe, expect, it } from "vitest";
import { ModelshipError } from "../../../core/errors.ts";
import { mulberry32, shuffledIndices, splitTrainValidation } from "../../../core/data/split.ts";

describe("splitTrainValidation", () => {
  it.each([
    [10, 0.2, 8, 2],
    [344, 0.2, 275, 69],
    [2, 0.5, 1, 1],
    [3, 0.01, 2, 1],
    [3, 0.99, 1, 2],
  ])("splits %i rows at %f into %i training and %i validation rows", (n, share, nTrain, nVal) => {
    const s = splitTrainValidation(n, { validationSplit: share, seed: 1 });
    expect([s.train.length, s.validation.length]).toEqual([nTrain, nVal]);
    expect([...s.train, ...s.validation].sort((a, b) => a - b)).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
  });

  it("gives the same split for the same seed and a different one for another seed", () => {
    const a = splitTrainValidation(100, { validationSplit: 0.2, seed: 42 });
    expect(splitTrainValidation(100, { validationSplit: 0.2, seed: 42 })).toEqual(a);
    expect(splitTrainValidation(100, { validationSplit: 0.2, seed: 43 }).validation).not.toEqual(
      a.validation,
    );
  });

  it("is pinned: the first indices for seed 42 never change across versions", () => {
    expect(shuffledIndices(10, 42)).toEqual([0, 7, 3, 5, 2, 1, 8, 9, 4, 6]);
    expect(mulberry32(1)()).toBeCloseTo(0.6270739405881613, 12);
  });

  it("refuses fewer than two rows", () => {
    expect(() => splitTrainValidation(1, { validationSplit: 0.2, seed: 1 })).toThrow(ModelshipError);
  });
});
