import { describe, expect, it } from "vitest";
import {
  normalQuantile,
  regularizedBeta,
  studentTwoSidedP,
} from "../../../core/monitoring/ab-distributions.ts";
import { samplesNeededMeans, samplesNeededProportions } from "../../../core/monitoring/ab-samples-needed.ts";
import { twoProportionZTest } from "../../../core/monitoring/ab-two-proportion.ts";
import { abVerdict } from "../../../core/monitoring/ab-verdict.ts";
import { meanSample, welchTTest } from "../../../core/monitoring/ab-welch-t-test.ts";

// Expected values from SciPy 1.17 (scipy.stats.norm / t / beta, ttest_ind_from_stats with
// equal_var=False) and, for sample sizes, the textbook worked examples named in each row.
const close = (actual: number, expected: number, rel = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));

describe("distributions against SciPy", () => {
  it.each([
    [0.3, 2, 5, 0.579825],
    [0.9, 0.5, 0.5, 0.795167235300867],
    [0.5, 10, 3, 0.019287109375],
    [0.01, 1, 1, 0.01],
  ])("I_%s(%s, %s) = %s", (x, a, b, expected) => close(regularizedBeta(x, a, b), expected));

  it.each([
    [2.0, 5, 0.101939478829858],
    [1.5, 10.5, 0.163068757918445],
    [0.3, 3, 0.783763292039919],
    [4.2, 50, 0.000109680717354503],
    [10, 2, 0.00985245702332569],
  ])("two-sided t p-value of %s with %s df = %s", (t, df, expected) =>
    close(studentTwoSidedP(t, df), expected),
  );

  it.each([
    [0.001, -3.09023230616781],
    [0.025, -1.95996398454005],
    [0.5, 0],
    [0.8, 0.841621233572914],
    [0.975, 1.95996398454005],
    [0.9999, 3.71901648545571],
  ])("normal quantile of %s = %s", (p, expected) => close(normalQuantile(p), expected, 1e-8));
});

describe("two-proportion z-test (pooled) against SciPy", () => {
  it.each([
    [450, 1000, 500, 1000, 2.23886831419822, 0.0251644857003186],
    [80, 100, 90, 100, 1.98029508595335, 0.0476703806561615],
    [30, 200, 45, 210, 1.68297634613892, 0.0923796705599459],
    [5, 10, 9, 10, 1.95180014589707, 0.0509619369677633],
  ])("stable %s/%s vs candidate %s/%s", (x1, n1, x2, n2, z, p) => {
    const r = twoProportionZTest({ successes: x1, trials: n1 }, { successes: x2, trials: n2 });
    close(r.z, z);
    close(r.pValue, p);
    close(r.difference, x2 / n2 - x1 / n1);
  });

  it.each([
    ["an empty side", { successes: 0, trials: 0 }, { successes: 3, trials: 5 }],
    ["no variance", { successes: 10, trials: 10 }, { successes: 20, trials: 20 }],
  ])("%s is no evidence", (_n, a, b) => expect(twoProportionZTest(a, b)).toMatchObject({ z: 0, pValue: 1 }));
});

describe("Welch's t-test against SciPy", () => {
  it.each([
    [20.0, 4.0, 30, 22.5, 6.0, 25, 1.77967124203594, 40.4750860201351, 0.0826390973275711],
    [1.0, 0.5, 10, 1.1, 0.4, 12, 0.51075391845525, 17.165191740413, 0.616029367334489],
    [5.2, 1.0, 100, 5.0, 1.5, 80, -1.02429503946317, 131.862586599849, 0.307571362876871],
  ])("mean %s sd %s n %s vs mean %s sd %s n %s", (m1, s1, n1, m2, s2, n2, t, df, p) => {
    const r = welchTTest({ n: n1, mean: m1, variance: s1 ** 2 }, { n: n2, mean: m2, variance: s2 ** 2 });
    close(r.t, t);
    close(r.df, df);
    close(r.pValue, p);
  });

  it("computes the sample variance with n − 1", () => {
    const s = meanSample([2, 4, 4, 4, 5, 5, 7, 9]);
    close(s.mean, 5);
    close(s.variance, 32 / 7);
    expect(welchTTest(meanSample([1]), s)).toMatchObject({ t: 0, pValue: 1 });
  });
});

describe("samples needed at the observed effect (alpha 5%, power 80%)", () => {
  it("matches Fleiss' example: 60% vs 80% needs 82 per group", () => {
    expect(samplesNeededProportions({ successes: 60, trials: 100 }, { successes: 80, trials: 100 })).toBe(82);
  });
  it("matches the classic half-a-standard-deviation example: 63 per group", () => {
    expect(samplesNeededMeans({ n: 10, mean: 0, variance: 1 }, { n: 10, mean: 0.5, variance: 1 })).toBe(63);
  });
  it("has nothing to detect without a difference", () => {
    expect(samplesNeededProportions({ successes: 5, trials: 10 }, { successes: 50, trials: 100 })).toBeNull();
  });
});

describe("A/B verdict", () => {
  it.each([
    [
      "candidate better on accuracy",
      { kind: "classification" as const, labelled: 1000, correct: 450 },
      { kind: "classification" as const, labelled: 1000, correct: 500 },
      "candidate-better",
    ],
    [
      "candidate worse on accuracy",
      { kind: "classification" as const, labelled: 1000, correct: 500 },
      { kind: "classification" as const, labelled: 1000, correct: 450 },
      "candidate-worse",
    ],
    [
      "not yet significant",
      { kind: "classification" as const, labelled: 200, correct: 30 },
      { kind: "classification" as const, labelled: 210, correct: 45 },
      "not-significant",
    ],
    [
      "lower regression error is better",
      { kind: "regression" as const, labelled: 100, absError: { n: 100, mean: 5.2, variance: 1 } },
      { kind: "regression" as const, labelled: 100, absError: { n: 100, mean: 4.6, variance: 1 } },
      "candidate-better",
    ],
    [
      "no feedback for one side",
      { kind: "classification" as const, labelled: 0, correct: 0 },
      null,
      "no-feedback",
    ],
  ])("%s", (_n, stable, candidate, outcome) => {
    const v = abVerdict({ stable, candidate });
    expect(v.outcome).toBe(outcome);
    expect(v.message.length).toBeGreaterThan(10);
  });

  it("says how many more labelled requests the observed effect needs", () => {
    const v = abVerdict({
      stable: { kind: "classification", labelled: 100, correct: 60 },
      candidate: { kind: "classification", labelled: 40, correct: 28 },
    });
    expect(v.outcome).toBe("not-significant");
    expect(v.test).toBe("two-proportion-z");
    // 60% vs 70% needs 356 per variant; the smaller side has 40.
    expect(v.moreNeeded).toBe(316);
    expect(v.message).toContain(`${v.moreNeeded} more labelled requests per variant`);
  });
});
