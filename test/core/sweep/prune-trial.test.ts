import { describe, expect, it } from "vitest";
import {
  hyperbandBracket,
  percentile,
  pruneMedian,
  pruneSuccessiveHalving,
  pruneTrial,
  MEDIAN_DEFAULTS,
} from "../../../core/sweep/prune-trial.ts";
import { FIVE_COMPLETE, makeStudy, trial } from "./study-fixtures.ts";

describe("pruneMedian (Optuna's MedianPruner defaults)", () => {
  it.each([
    ["worse than the median at epoch 1", FIVE_COMPLETE, [0.55], true, "below-median"],
    ["equal to the median is kept", FIVE_COMPLETE, [0.5], false, "kept"],
    ["better than the median", FIVE_COMPLETE, [0.45, 0.39], false, "kept"],
    ["best-so-far counts, not the last value", FIVE_COMPLETE, [0.39, 0.41], false, "kept"],
    ["worse at epoch 3", FIVE_COMPLETE, [0.45, 0.39, 0.31], true, "below-median"],
    ["four complete trials are still start-up", FIVE_COMPLETE.slice(0, 4), [9], false, "startup"],
    [
      "pruned and running trials do not count as start-up",
      [...FIVE_COMPLETE.slice(0, 4), trial(5, "pruned", [0.1])],
      [9],
      false,
      "startup",
    ],
    ["a NaN value is pruned", FIVE_COMPLETE, [null], true, "nan"],
    ["no complete trial reached this epoch", FIVE_COMPLETE, [0.1, 0.1, 0.1, 0.1], false, "no-peers"],
  ] as const)("%s", (_name, others, history, prune, reason) => {
    const me = trial(9, "running", [...history]);
    const d = pruneMedian([...others, me], me, "minimize", MEDIAN_DEFAULTS);
    expect(d.prune).toBe(prune);
    expect(d.reason).toBe(reason);
  });

  it("maximising flips the comparison", () => {
    const acc = FIVE_COMPLETE.map((t) =>
      trial(
        t.number,
        "complete",
        t.intermediate.map((v) => 1 - v!),
      ),
    );
    const low = trial(9, "running", [0.45]);
    const high = trial(9, "running", [0.55]);
    expect(pruneMedian([...acc, low], low, "maximize", MEDIAN_DEFAULTS).prune).toBe(true);
    expect(pruneMedian([...acc, high], high, "maximize", MEDIAN_DEFAULTS).prune).toBe(false);
  });

  it.each([
    [2, [9, 9], false, "warmup"],
    [2, [9, 9, 9], true, "below-median"],
  ] as const)("warm-up of %i epochs", (nWarmupSteps, history, prune, reason) => {
    const me = trial(9, "running", [...history]);
    const d = pruneMedian([...FIVE_COMPLETE, me], me, "minimize", { ...MEDIAN_DEFAULTS, nWarmupSteps });
    expect([d.prune, d.reason]).toEqual([prune, reason]);
  });

  it("checks only every intervalSteps epochs after the warm-up", () => {
    const at = (n: number) =>
      trial(
        9,
        "running",
        Array.from({ length: n }, () => 9),
      );
    const opts = { ...MEDIAN_DEFAULTS, intervalSteps: 2 };
    expect(pruneMedian(FIVE_COMPLETE, at(1), "minimize", opts).prune).toBe(true);
    expect(pruneMedian(FIVE_COMPLETE, at(2), "minimize", opts).reason).toBe("off-interval");
    expect(pruneMedian(FIVE_COMPLETE, at(3), "minimize", opts).prune).toBe(true);
  });
});

describe("pruneSuccessiveHalving (reduction factor 3, min resource 1)", () => {
  const opts = { minResource: 1, reductionFactor: 3, minEarlyStoppingRate: 0 };
  it.each([
    // Rungs at epochs 1, 3, 9.
    ["the first trial is always promoted", [], [0.9], false, "kept"],
    ["between rungs nothing is decided", [trial(0, "complete", [0.1, 0.1])], [0.9, 0.9], false, "kept"],
    ["worse than the only other trial at rung 0", [trial(0, "complete", [0.1])], [0.9], true, "not-promoted"],
    ["better than the other trial", [trial(0, "complete", [0.5])], [0.2], false, "kept"],
    [
      "6 at rung 0: the best 2 carry on (2nd best kept)",
      [0.1, 0.5, 0.6, 0.7, 0.8].map((v, i) => trial(i, "pruned", [v])),
      [0.3],
      false,
      "kept",
    ],
    [
      "6 at rung 0: the 3rd best is stopped",
      [0.1, 0.2, 0.6, 0.7, 0.8].map((v, i) => trial(i, "pruned", [v])),
      [0.3],
      true,
      "not-promoted",
    ],
    [
      "rung 1 compares only trials that reached epoch 3",
      [trial(0, "complete", [0.5, 0.4, 0.35]), trial(1, "pruned", [0.9])],
      [0.4, 0.35, 0.3],
      false,
      "kept",
    ],
    ["NaN at a rung is pruned", [], [null], true, "nan"],
  ] as const)("%s", (_name, others, history, prune, reason) => {
    const me = trial(9, "running", [...history]);
    const d = pruneSuccessiveHalving([...others, me], me, "minimize", opts);
    expect([d.prune, d.reason]).toEqual([prune, reason]);
  });

  it("a higher min early-stopping rate moves the first rung to epoch 3", () => {
    const me = trial(9, "running", [0.9]);
    const others = [trial(0, "complete", [0.1, 0.1, 0.1])];
    const d = pruneSuccessiveHalving([...others, me], me, "minimize", { ...opts, minEarlyStoppingRate: 1 });
    expect(d.prune).toBe(false);
    const at3 = trial(9, "running", [0.9, 0.9, 0.9]);
    expect(
      pruneSuccessiveHalving([...others, at3], at3, "minimize", { ...opts, minEarlyStoppingRate: 1 }).prune,
    ).toBe(true);
  });
});

describe("hyperbandBracket", () => {
  it("spreads trials over log3(27)+1 = 4 brackets in proportion to their budgets", () => {
    // Budgets for 4 brackets, η=3: ceil(4·27/4)=27, ceil(4·9/3)=12, ceil(4·3/2)=6, ceil(4·1/1)=4.
    const counts = [0, 0, 0, 0];
    for (let n = 0; n < 4900; n++)
      counts[hyperbandBracket("study", n, 27, { minResource: 1, reductionFactor: 3 })]!++;
    const share = counts.map((c) => c / 4900);
    [27 / 49, 12 / 49, 6 / 49, 4 / 49].forEach((expected, i) => expect(share[i]).toBeCloseTo(expected, 1));
  });

  it("has one bracket when max epochs is below η", () => {
    expect(hyperbandBracket("s", 5, 2, { minResource: 1, reductionFactor: 3 })).toBe(0);
  });
});

describe("pruneTrial", () => {
  it("never prunes with pruner none", () => {
    const me = trial(9, "running", [99]);
    expect(pruneTrial(makeStudy({ pruner: "none", trials: [...FIVE_COMPLETE, me] }), me)).toEqual({
      prune: false,
      reason: "pruner-none",
    });
  });

  it("hyperband compares a trial only with its own bracket", () => {
    const study = makeStudy({ name: "h", pruner: "hyperband", maxEpochs: 9 });
    const bracketOf = (n: number) => hyperbandBracket("h", n, 9, { minResource: 1, reductionFactor: 3 });
    const numbers = Array.from({ length: 40 }, (_, n) => n);
    const zero = numbers.filter((n) => bracketOf(n) === 0);
    const other = numbers.filter((n) => bracketOf(n) !== 0);
    // A better trial in another bracket does not stop a bracket-0 trial; one in its bracket does.
    const me = trial(zero[1]!, "running", [0.5]);
    const outside = trial(other[0]!, "complete", [0.1]);
    expect(pruneTrial({ ...study, trials: [outside, me] }, me).prune).toBe(false);
    const inside = trial(zero[0]!, "complete", [0.1]);
    expect(pruneTrial({ ...study, trials: [inside, me] }, me).prune).toBe(true);
  });

  it("median through the study uses the intermediate metric's direction", () => {
    const study = makeStudy({
      pruner: "median",
      objective: {
        metric: "accuracy",
        direction: "maximize",
        intermediate: { metric: "val_loss", direction: "minimize" },
      },
    });
    const me = trial(9, "running", [0.9]);
    expect(pruneTrial({ ...study, trials: [...FIVE_COMPLETE, me] }, me).prune).toBe(true);
  });
});

it.each([
  [[1, 2, 3, 4], 50, 2.5],
  [[5], 50, 5],
  [[3, 1, 2], 50, 2],
  [[0, 10], 25, 2.5],
])("percentile(%j, %i) = %d", (values, q, expected) => {
  expect(percentile(values, q)).toBeCloseTo(expected, 12);
});
