import { describe, expect, it } from "vitest";
import { evaluateRegression } from "../../../core/data/evaluate.ts";
import { permutationImportance, seededOrders } from "../../../core/explain/permutation-importance.ts";

// A fixture with known answers, computed once with scikit-learn 1.2.1 (Debian python3-sklearn):
//   permutation_importance(est, X, y, scoring=..., n_repeats=..., random_state=...)
// where est is a fixed model (regression: 3·x0 − 2·x1; classification: x0 > 0.5), plus the row
// orders scikit-learn applied (it draws one seed, shuffles one index array before every repeat and
// re-permutes the already permuted column, so repeat r applies the composition of the shuffles;
// the script checked that replaying these orders reproduces its importances exactly).
const X = [
  [0.1, 1.0, 5.0],
  [0.9, 0.2, 3.0],
  [0.4, 0.7, 1.0],
  [0.8, 0.9, 2.0],
  [0.2, 0.1, 4.0],
  [0.6, 0.5, 0.0],
  [0.3, 0.3, 6.0],
  [0.7, 0.8, 7.0],
  [0.5, 0.4, 8.0],
  [0.95, 0.05, 9.0],
];
const columns = { x0: X.map((r) => r[0]!), x1: X.map((r) => r[1]!), x2: X.map((r) => r[2]!) };
const Y_REG = [-1.6, 2.3, -0.3, 0.5, 0.5, 0.9, 0.4, 0.4, 0.6, 2.8];
const Y_CLS = [0, 1, 1, 1, 0, 1, 0, 1, 0, 1];

type Cols = Record<string, readonly unknown[]>;
const linear = (c: Cols) => c.x0!.map((v, i) => 3 * (v as number) - 2 * (c.x1![i] as number));
const r2 = (c: Cols) => evaluateRegression(linear(c), Y_REG).r2;
const accuracy = (c: Cols) =>
  c.x0!.filter((v, i) => Number((v as number) > 0.5) === Y_CLS[i]).length / Y_CLS.length;

describe("permutationImportance matches scikit-learn's permutation_importance", () => {
  it.each([
    {
      name: "regression, r2, n_repeats=3, random_state=0",
      score: r2,
      metric: "r2",
      orders: [
        [6, 5, 4, 9, 1, 8, 7, 0, 2, 3],
        [7, 1, 4, 5, 3, 2, 9, 8, 0, 6],
        [1, 6, 8, 7, 5, 0, 3, 2, 9, 4],
      ],
      baseline: 0.9939091915836101,
      expected: {
        x0: [1.1827242524916939, 0.3723697752637698],
        x1: [0.6642057339731758, 0.13898148706425392],
        x2: [0, 0],
      },
    },
    {
      name: "classification, accuracy, n_repeats=4, random_state=7",
      score: accuracy,
      metric: "accuracy",
      orders: [
        [6, 7, 4, 3, 8, 2, 1, 5, 0, 9],
        [2, 8, 4, 0, 6, 7, 1, 5, 9, 3],
        [0, 5, 3, 8, 6, 9, 2, 1, 4, 7],
        [4, 5, 3, 2, 6, 7, 1, 0, 8, 9],
      ],
      baseline: 0.9,
      expected: { x0: [0.20000000000000004, 0.14142135623730953], x1: [0, 0], x2: [0, 0] },
    },
  ])("$name", async ({ score, metric, orders, baseline, expected }) => {
    const e = await permutationImportance({
      columns,
      rows: 10,
      score,
      metric,
      direction: "maximize",
      repeats: orders.length,
      orders,
    });
    expect(e.baseline).toBeCloseTo(baseline, 12);
    expect(e.repeats).toBe(orders.length);
    for (const f of e.features) {
      const [mean, std] = expected[f.name as keyof typeof expected] as [number, number];
      expect(f.importance).toBeCloseTo(mean, 12);
      expect(f.std).toBeCloseTo(std, 12);
    }
    expect(e.features[0]!.name).toBe("x0");
  });
});

describe("permutationImportance", () => {
  it("a loss counts a rise as the drop, and an ignored feature scores exactly 0 with the seeded orders", async () => {
    const mse = (c: Cols) => evaluateRegression(linear(c), Y_REG).mse;
    const e = await permutationImportance({
      columns,
      rows: 10,
      score: mse,
      metric: "mse",
      direction: "minimize",
      seed: 42,
    });
    expect(e.repeats).toBe(5);
    expect(e.features.map((f) => f.name)).toEqual(["x0", "x1", "x2"]);
    expect(e.features[0]!.importance).toBeGreaterThan(0);
    expect(e.features[2]).toEqual({ name: "x2", importance: 0, std: 0 });
    // Same seed, same answer.
    expect(
      await permutationImportance({
        columns,
        rows: 10,
        score: mse,
        metric: "mse",
        direction: "minimize",
        seed: 42,
      }),
    ).toEqual(e);
  });

  it("seeded orders are permutations, different per repeat", () => {
    const orders = seededOrders(50, 4, 3);
    for (const o of orders)
      expect([...o].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(new Set(orders.map((o) => o.join(","))).size).toBe(4);
  });

  it("refuses orders that do not fit the rows", async () => {
    await expect(
      permutationImportance({
        columns,
        rows: 10,
        score: r2,
        metric: "r2",
        direction: "maximize",
        repeats: 1,
        orders: [[0, 1]],
      }),
    ).rejects.toThrow(RangeError);
  });
});
