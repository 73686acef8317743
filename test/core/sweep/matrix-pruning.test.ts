import { describe, expect, it } from "vitest";
import {
  createMatrixPruner,
  curvesForMatrix,
  PruningCurvesSchema,
  type TrialPruning,
} from "../../../core/sweep/matrix-pruning.ts";
import { hyperbandBracket, pruneTrial } from "../../../core/sweep/prune-trial.ts";
import type { PrunerName, Study } from "../../../core/sweep/study.ts";
import { FIVE_COMPLETE, makeStudy, trial } from "./study-fixtures.ts";

/** The pruning a matrix trial gets for `study`, as its Action input carries it (through JSON). */
function pruningFor(study: Study, number: number): TrialPruning {
  const curves = curvesForMatrix(study);
  if (!curves) throw new Error("the study does not prune");
  return { curves: PruningCurvesSchema.parse(JSON.parse(JSON.stringify(curves))), trial: number };
}

/** Feeds `values` epoch by epoch; the epoch the pruner stops at, or null when it never does. */
function stopsAt(pruning: TrialPruning, values: readonly (number | null)[]): number | null {
  const decide = createMatrixPruner(pruning);
  for (let e = 1; e <= values.length; e++) if (decide(e, { val_loss: values[e - 1] }).prune) return e;
  return null;
}

describe("a matrix trial's pruning decision, epoch by epoch", () => {
  it.each([
    ["median: worse than the median at epoch 1", "median", FIVE_COMPLETE, [0.55, 0.1, 0.1], 1],
    ["median: best-so-far kept it, then worse at epoch 3", "median", FIVE_COMPLETE, [0.45, 0.39, 0.31], 3],
    ["median: better throughout", "median", FIVE_COMPLETE, [0.45, 0.35, 0.25], null],
    ["median: four complete trials are still start-up", "median", FIVE_COMPLETE.slice(0, 4), [9, 9, 9], null],
    [
      "median: pruned trials do not count as start-up",
      "median",
      [...FIVE_COMPLETE.slice(0, 4), trial(7, "pruned", [0.1])],
      [9, 9, 9],
      null,
    ],
    ["median: a NaN value stops it", "median", FIVE_COMPLETE, [0.45, null, 0.1], 2],
    ["median: no finished trial reached epoch 4", "median", FIVE_COMPLETE, [0.1, 0.1, 0.1, 0.1], null],
    // maxEpochs 2: one bracket, one rung at epoch 1; the best 1/3 of those who reached it go on.
    ["hyperband: not promoted at the rung", "hyperband", [trial(0, "complete", [0.2, 0.1])], [0.3, 0.3], 1],
    [
      "hyperband: the better one is promoted",
      "hyperband",
      [trial(0, "complete", [0.2, 0.1])],
      [0.1, 0.1],
      null,
    ],
    [
      "hyperband: pruned trials' curves count at the rung",
      "hyperband",
      [trial(0, "pruned", [0.2]), trial(1, "pruned", [0.25])],
      [0.3, 0.3],
      1,
    ],
    ["hyperband: alone at the rung it goes on", "hyperband", [], [0.9, 0.9], null],
  ] as const)("%s", (_name, pruner, finished, values, expected) => {
    const maxEpochs = pruner === "hyperband" ? 2 : 27;
    const study = makeStudy({ pruner, maxEpochs, trials: [...finished, trial(9, "running", [])] });
    expect(stopsAt(pruningFor(study, 9), values)).toBe(expected);
  });

  it.each(["median", "hyperband"] as const)(
    "%s: decides as the local study's pruner does with the same finished trials",
    (pruner: PrunerName) => {
      // Deterministic curves that cross each other; maxEpochs 27 gives Hyperband three brackets.
      const curve = (n: number) =>
        Array.from({ length: 27 }, (_, e) => 1 / (1 + e * ((n % 5) + 1) * 0.1) + ((n * 7) % 11) / 40);
      const finished = Array.from({ length: 12 }, (_, n) =>
        trial(n, n % 4 === 3 ? "pruned" : "complete", curve(n).slice(0, n % 4 === 3 ? 3 : 27)),
      );
      const seen = new Set<boolean>();
      for (let number = 12; number < 20; number++) {
        const values = curve(number);
        const study = makeStudy({ name: "cmp", pruner, trials: [...finished, trial(number, "running", [])] });
        const decide = createMatrixPruner(pruningFor(study, number));
        for (let e = 1; e <= values.length; e++) {
          const local = trial(number, "running", values.slice(0, e));
          const expected = pruneTrial({ ...study, trials: [...finished, local] }, local);
          expect(decide(e, { val_loss: values[e - 1] })).toEqual(expected);
          seen.add(expected.prune);
        }
      }
      // The comparison covered both answers.
      expect([...seen].sort()).toEqual([false, true]);
    },
  );
});

describe("curvesForMatrix", () => {
  it("hands over finished trials with a curve: not running ones, not failures without an epoch", () => {
    const failed = { ...trial(6, "failed", []), failure: { code: "x", message: "y" } };
    const study = makeStudy({
      pruner: "median",
      trials: [...FIVE_COMPLETE, failed, trial(7, "running", [0.1]), trial(8, "failed", [0.9])],
    });
    const curves = curvesForMatrix(study)!;
    expect(curves.trials.map((t) => [t.number, t.state])).toEqual([
      [0, "complete"],
      [1, "complete"],
      [2, "complete"],
      [3, "complete"],
      [4, "complete"],
      [8, "failed"],
    ]);
    expect(curves).toMatchObject({ pruner: "median", maxEpochs: 27, omitted: 0, study: "s" });
  });

  it("is null when the study does not prune", () => {
    expect(curvesForMatrix(makeStudy({ pruner: "none", trials: FIVE_COMPLETE }))).toBeNull();
  });

  it("leaves the oldest trials out to stay under the size limit, and counts them", () => {
    const many = Array.from({ length: 40 }, (_, n) =>
      trial(
        n,
        "complete",
        Array.from({ length: 30 }, (_, e) => 0.1 + n / 1000 + e / 3),
      ),
    );
    const study = makeStudy({ pruner: "median", trials: many });
    const full = JSON.stringify(curvesForMatrix(study, Infinity)).length;
    const capped = curvesForMatrix(study, Math.floor(full / 2))!;
    expect(JSON.stringify(capped).length).toBeLessThanOrEqual(Math.floor(full / 2));
    expect(capped.omitted).toBeGreaterThan(0);
    expect(capped.trials[0]?.number).toBe(capped.omitted);
    expect(capped.trials.at(-1)?.number).toBe(39);
    expect(capped.trials.length + capped.omitted).toBe(40);
  });

  it("a trial in another Hyperband bracket is not compared", () => {
    // Two trials numbers whose brackets differ (maxEpochs 27: three brackets).
    const opts = { minResource: 1, reductionFactor: 3 };
    const other = [...Array(50).keys()].find(
      (n) => hyperbandBracket("s", n, 27, opts) !== hyperbandBracket("s", 49, 27, opts),
    )!;
    const study = makeStudy({
      pruner: "hyperband",
      trials: [trial(other, "complete", Array(27).fill(0.01)), trial(49, "running", [])],
    });
    expect(stopsAt(pruningFor(study, 49), Array(26).fill(5))).toBeNull();
  });
});
