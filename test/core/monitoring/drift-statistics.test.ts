import { describe, expect, it } from "vitest";
import { chiSquaredTest } from "../../../core/monitoring/chi-squared-test.ts";
import { alignedShares, jensenShannonDistance } from "../../../core/monitoring/jensen-shannon-distance.ts";
import { kolmogorovSurvival, ksTwoSample } from "../../../core/monitoring/ks-two-sample.ts";
import { binShares, populationStabilityIndex } from "../../../core/monitoring/population-stability-index.ts";
import {
  chiSquaredSurvival,
  logGamma,
  upperRegularizedGamma,
} from "../../../core/monitoring/regularized-gamma.ts";
import {
  normedWassersteinDistance,
  wassersteinDistance,
} from "../../../core/monitoring/wasserstein-distance.ts";
import { zTestProportions } from "../../../core/monitoring/z-test-proportions.ts";

// Every expected value below was computed once with SciPy 1.17.1 (Debian's python3-scipy), never
// by the code under test:
//   KS:          scipy.stats.ks_2samp(a, b, method="exact")  → (statistic, pvalue)
//   KS (large):  D from ks_2samp, p = scipy.special.kolmogorov(sqrt(m·n/(m+n)) · D)
//   chi²:        scipy.stats.chisquare(f_obs, f_exp) with f_exp = reference counts · n_cur / n_ref;
//                scipy.stats.chi2.sf(x, df); scipy.special.gammaln(x)
//   z:           z = (p1 − p2) / sqrt(P(1 − P)(1/n1 + 1/n2)), p = 2 · scipy.stats.norm.sf(|z|)
//   Wasserstein: scipy.stats.wasserstein_distance(a, b)
//   JS:          scipy.spatial.distance.jensenshannon(p, q) (natural log)
//   PSI:         numpy: Σ (c − r) · ln(c / r) after replacing shares of 0 with 0.0001

const A = [
  0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09,
  -1.28, 2.36, 1.31, 1.05, -0.52, -0.74, 0.12, 0.24,
];
const B = [1.61, 0.9, 1.2, 0.33, 2.1, 1.4, 0.7, -0.2, 1.9, 0.8, 1.1, 2.4, 0.45, 1.33, 0.1, 1.75, 0.95, 2.2];
const INTS_A = [1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 6, 7, 8, 8, 8, 9];
const INTS_B = [2, 3, 4, 4, 5, 5, 6, 7, 7, 8, 9, 9, 10, 10, 11, 12, 12, 13];
/** Deterministic spread-out values, the same in the SciPy script: ((i · mul) mod m) / div + shift. */
const gen = (n: number, mul: number, mod: number, div: number, shift: number) =>
  Array.from({ length: n }, (_, i) => ((i * mul) % mod) / div + shift);
const L1 = gen(200, 7919, 1000, 100, 0);
const L2 = gen(150, 104729, 997, 100, 0.3);
const L3 = gen(1000, 7919, 1000, 100, 0);
const L4 = gen(900, 15485863, 1009, 100, 0);

const close = (actual: number, expected: number, rel = 1e-9, abs = 1e-12) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(abs + rel * Math.abs(expected));

describe("two-sample Kolmogorov–Smirnov", () => {
  it.each([
    ["small samples, clear shift", A, B, 0.5377777777777778, 0.0026297354838688523],
    ["the same, sides swapped", B, A, 0.5377777777777778, 0.0026297354838688523],
    ["integers with ties", INTS_A, INTS_B, 0.3819444444444444, 0.12757903934825213],
    ["200 vs 150, small shift", L1, L2, 0.04, 0.9984513267902011],
    ["1000 vs 900, same spread", L3, L4, 0.008666666666666666, 0.9999999999997906],
  ])("%s: exact p-value as SciPy's", (_name, a, b, d, p) => {
    const r = ksTwoSample(a, b);
    expect(r.method).toBe("exact");
    close(r.statistic, d, 1e-12);
    close(r.pValue, p, 1e-8, 1e-13);
  });

  it("above 10⁷ lattice cells: the limiting Kolmogorov distribution", () => {
    const r = ksTwoSample(gen(4000, 7919, 10007, 1000, 0), gen(3000, 104729, 9973, 1000, 0.25));
    expect(r.method).toBe("asymptotic");
    close(r.statistic, 0.025, 1e-12);
    close(r.pValue, 0.23425945695878178, 1e-9);
  });

  it.each([
    [0.3, 0.9999906941986655],
    [0.5, 0.9639452436648751],
    [0.8, 0.5441424115741981],
    [1.0, 0.26999967167735456],
    [1.36, 0.049485876755377876],
    [2.0, 0.0006709252557796953],
    [3.0, 3.045995948942526e-8],
  ])("Q_KS(%f) = %f", (lambda, q) => close(kolmogorovSurvival(lambda), q, 1e-9, 1e-15));

  it("identical samples: D = 0, p = 1; an empty side tests nothing", () => {
    expect(ksTwoSample(A, A)).toMatchObject({ statistic: 0, pValue: 1 });
    expect(ksTwoSample([], A)).toMatchObject({ statistic: 0, pValue: 1 });
  });
});

describe("chi-squared", () => {
  it.each([
    [0.5, 1, 0.47950012218695337],
    [3.84, 1, 0.05004352124870519],
    [10, 3, 0.01856613546304325],
    [25, 10, 0.005345505487134069],
    [120, 100, 0.08440668109369177],
    [0.001, 2, 0.9995001249791693],
    [300, 250, 0.016518273157868715],
    [50, 5, 1.3857973367009573e-9],
  ])("survival(%f, df %i) = %f", (x, df, p) => close(chiSquaredSurvival(x, df), p, 1e-10, 1e-15));

  it.each([
    [0.5, 0.5723649429247],
    [1, 0],
    [1.5, -0.12078223763524526],
    [2.5, 0.2846828704729192],
    [10, 12.801827480081469],
    [100.5, 361.43554046777757],
    [1000, 5905.220423209181],
  ])("ln Γ(%f) = %f", (x, v) => close(logGamma(x), v, 1e-13, 1e-13));

  it("Q(a, x) at its edges", () => {
    expect(upperRegularizedGamma(2, 0)).toBe(1);
    expect(upperRegularizedGamma(2, Infinity)).toBe(0);
    expect(upperRegularizedGamma(0, 1)).toBeNaN();
  });

  const m = (o: Record<string, number>) => new Map(Object.entries(o));
  it.each([
    [
      "islands, shifted",
      { Biscoe: 168, Dream: 124, Torgersen: 52 },
      { Biscoe: 60, Dream: 25, Torgersen: 15 },
      5.937610776320451,
      0.051364634495854426,
    ],
    [
      "close proportions",
      { a: 50, b: 30, c: 20 },
      { a: 45, b: 35, c: 20 },
      1.3333333333333335,
      0.5134171190325921,
    ],
  ])("goodness of fit, %s, as SciPy's", (_n, ref, cur, stat, p) => {
    const r = chiSquaredTest(m(ref), m(cur));
    close(r.statistic, stat, 1e-12);
    close(r.pValue, p, 1e-10);
  });

  it("a value the reference never had: infinite statistic, p = 0; one value on both sides: p = 1", () => {
    expect(chiSquaredTest(m({ a: 10, b: 10 }), m({ a: 5, b: 5, c: 1 }))).toEqual({
      statistic: Infinity,
      pValue: 0,
    });
    expect(chiSquaredTest(m({ a: 10 }), m({ a: 3 }))).toEqual({ statistic: 0, pValue: 1 });
  });
});

describe("z-test for two proportions", () => {
  const m = (o: Record<string, number>) => new Map(Object.entries(o));
  it.each([
    [
      "sex, shifted",
      { FEMALE: 165, MALE: 168 },
      { FEMALE: 70, MALE: 30 },
      -3.5999993062049125,
      0.0003182180293852343,
    ],
    [
      "booleans, unchanged",
      { false: 500, true: 480 },
      { false: 52, true: 48 },
      -0.18667388793616152,
      0.8519163305967722,
    ],
  ])("%s, as SciPy's normal", (_n, ref, cur, z, p) => {
    const r = zTestProportions(m(ref), m(cur));
    close(r.statistic, z, 1e-10);
    close(r.pValue, p, 1e-9);
  });

  it("one and the same value on both sides is no difference", () => {
    expect(zTestProportions(m({ yes: 40 }), m({ yes: 7 }))).toEqual({ statistic: 0, pValue: 1 });
  });
});

describe("distances", () => {
  it.each([
    ["small samples", A, B, 0.9021777777777776],
    ["200 vs 150", L1, L2, 0.1276333333333335],
    ["integers with ties", INTS_A, INTS_B, 2.6736111111111107],
  ])("Wasserstein, %s, as SciPy's", (_n, a, b, w) => close(wassersteinDistance(a, b), w, 1e-12));

  it("normed Wasserstein divides by the reference std, at least 0.001", () => {
    close(
      normedWassersteinDistance({ reference: INTS_A, current: INTS_B, referenceStd: 2 }),
      2.6736111111111107 / 2,
      1e-12,
    );
    close(
      normedWassersteinDistance({ reference: [1, 1], current: [1.0005, 1.0005], referenceStd: 0 }),
      0.5,
      1e-9,
    );
  });

  it.each([
    [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], 0.25770974832606103],
    [[0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4], 0.16692996572597962],
    [[1, 0.0001], [0.0001, 1], 0.8319412500991934],
  ])("Jensen–Shannon distance (natural log) of %j and %j, as SciPy's", (p, q, d) =>
    close(jensenShannonDistance(p, q), d, 1e-12),
  );

  it("aligns categories and gives empty ones a share of 0.0001", () => {
    const s = alignedShares(
      new Map([
        ["a", 3],
        ["b", 1],
      ]),
      new Map([["c", 2]]),
    );
    expect(s).toEqual({
      keys: ["a", "b", "c"],
      reference: [0.75, 0.25, 0.0001],
      current: [0.0001, 0.0001, 1],
    });
  });

  it.each([
    [Array(10).fill(0.1), [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.15], 0.10986122886681095],
    [[0.5, 0.3, 0.2, 0], [0.4, 0.3, 0.2, 0.1], 0.7123991075017365],
  ])("PSI of %j against %j, as numpy's", (r, c, psi) => close(populationStabilityIndex(r, c), psi, 1e-12));

  it("bins by cut points: (−∞, c0], (c0, c1], …, (c_last, ∞)", () => {
    expect(binShares([0, 1, 1.5, 2, 3, 10], [1, 2])).toEqual([2 / 6, 2 / 6, 2 / 6]);
  });
});
