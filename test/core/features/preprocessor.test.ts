import { describe, expect, it } from "vitest";
import type { Transform } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import {
  applyPreprocessor,
  encodeTargets,
  fitPreprocessor,
  parsePreprocessor,
  rawInputSignature,
  rowsToColumns,
  FittedPreprocessorSchema,
  type FitPreprocessorOptions,
} from "../../../core/features/preprocessor.ts";

const rows = [
  { h: 1, w: 10, c: "red", y: "a" },
  { h: 2, w: null, c: "blue", y: "b" },
  { h: 3, w: 30, c: "red", y: "a" },
  { h: 6, w: 40, c: null, y: "c" },
];

function opts(transforms: Transform[], features = ["h", "w", "c"]): FitPreprocessorOptions {
  return { features, target: "y", task: "classification", transforms };
}

const base: Transform[] = [
  { op: "standardize", column: "h" },
  { op: "impute", column: "w", strategy: "mean" },
  { op: "minmax", column: "w" },
  { op: "impute", column: "c", strategy: "most_frequent" },
  { op: "onehot", column: "c" },
];

function code(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof ModelshipError) return err.code;
    throw err;
  }
  return "no error";
}

describe("fitPreprocessor / applyPreprocessor", () => {
  const p = fitPreprocessor(rows, opts(base));

  it("lays out numeric columns then one-hot columns in feature order", () => {
    expect(p.columns.map((c) => [c.name, c.kind, c.offset, c.width])).toEqual([
      ["h", "numeric", 0, 1],
      ["w", "numeric", 1, 1],
      ["c", "categorical", 2, 2],
    ]);
    expect(p.outputWidth).toBe(4);
    expect(p.labels).toEqual(["a", "b", "c"]);
    expect(p.inputName).toBe("input");
  });

  it.each([
    // [row, expected [h, w, c=blue, c=red]]
    [{ h: 3, w: 10, c: "red" }, [0, 0, 0, 1]],
    [{ h: 1, w: 40, c: "blue" }, [-1, 1, 1, 0]],
    // w missing -> imputed mean 80/3 -> minmax (80/3-10)/30
    [{ h: 5, w: null, c: "red" }, [1, (80 / 3 - 10) / 30, 0, 1]],
    // c missing -> most frequent "red"; unseen category -> all zeros
    [{ h: 3, w: 10, c: null }, [0, 0, 0, 1]],
    [{ h: 3, w: 10, c: "green" }, [0, 0, 0, 0]],
    // numeric strings are numbers
    [{ h: "3", w: "10", c: "red" }, [0, 0, 0, 1]],
  ])("encodes %j", (row, expected) => {
    // training h = 1,2,3,6: mean 3, population std sqrt(3.5)
    const std = Math.sqrt(3.5);
    const out = Array.from(applyPreprocessor(p, rowsToColumns([row], ["h", "w", "c"]), 1));
    const want = [((row.h === "3" ? 3 : (row.h as number)) - 3) / std, ...expected.slice(1)];
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
  });

  it("accepts serving-style typed columns: Float32Array with NaN for missing, strings for categories", () => {
    const out = applyPreprocessor(
      p,
      { h: new Float32Array([3, 3]), w: new Float32Array([NaN, 40]), c: ["", "blue"] },
      2,
    );
    expect(Array.from(out).map((v) => Number(v.toFixed(4)))).toEqual([
      0,
      Number(((80 / 3 - 10) / 30).toFixed(4)),
      0,
      1,
      0,
      1,
      1,
      0,
    ]);
  });

  it.each([
    ["missing column", { h: [1], w: [1] }, "input-missing-column"],
    ["non-numeric value", { h: ["tall"], w: [1], c: ["red"] }, "input-not-a-number"],
    ["short column", { h: [], w: [1], c: ["red"] }, "input-length-mismatch"],
  ])("rejects %s", (_name, cols, expected) => {
    expect(code(() => applyPreprocessor(p, cols, 1))).toBe(expected);
  });

  it("names the row of a missing value that was not imputed", () => {
    const q = fitPreprocessor(
      rows,
      opts(
        [
          { op: "onehot", column: "c" },
          { op: "impute", column: "c", strategy: "most_frequent" },
        ],
        ["h", "c"],
      ),
    );
    expect(() => applyPreprocessor(q, { h: [1, null], c: ["red", "red"] }, 2)).toThrow(
      /input 'h' is missing a value at row 2/,
    );
  });

  it.each([
    [
      "categorical column without onehot",
      opts([{ op: "impute", column: "w", strategy: "mean" }]),
      "categorical-without-onehot",
    ],
    ["missing value without impute", opts([], ["w"]), "missing-value"],
    [
      "transform on a non-feature",
      opts([{ op: "standardize", column: "zz" }], ["h"]),
      "transform-unknown-column",
    ],
    [
      "scaling a one-hot column",
      opts(
        [
          { op: "onehot", column: "h" },
          { op: "standardize", column: "h" },
        ],
        ["h"],
      ),
      "transform-conflict",
    ],
    [
      "mean of a categorical column",
      opts(
        [
          { op: "impute", column: "c", strategy: "mean" },
          { op: "onehot", column: "c" },
        ],
        ["c"],
      ),
      "impute-strategy-invalid",
    ],
    [
      "constant without a value",
      opts([{ op: "impute", column: "w", strategy: "constant" }], ["w"]),
      "impute-constant-invalid",
    ],
  ])("rejects %s", (_name, o, expected) => {
    expect(code(() => fitPreprocessor(rows, o))).toBe(expected);
  });

  it("says which row and column are missing when fitting", () => {
    expect(() => fitPreprocessor(rows, opts([], ["w"]))).toThrow(/column 'w' is missing a value at row 2/);
  });

  it.each([
    ["median", 30],
    ["most_frequent", 10],
    ["constant", -1],
  ] as const)("imputes with %s", (strategy, value) => {
    const q = fitPreprocessor(rows, opts([{ op: "impute", column: "w", strategy, value: -1 }], ["w"]));
    expect(q.columns[0]!.steps[0]).toEqual({ op: "impute", strategy, value });
  });

  it("advertises raw inputs: numbers as FP32, categories as BYTES with their known values", () => {
    expect(rawInputSignature(p)).toEqual([
      { name: "h", datatype: "FP32", shape: [-1] },
      { name: "w", datatype: "FP32", shape: [-1] },
      { name: "c", datatype: "BYTES", shape: [-1], parameters: { categories: ["blue", "red"] } },
    ]);
  });

  it("encodes classification targets as label indices and rejects unseen classes", () => {
    expect(Array.from(encodeTargets(p, [{ y: "c" }, { y: "a" }]))).toEqual([2, 0]);
    expect(code(() => encodeTargets(p, [{ y: "d" }]))).toBe("target-unknown-class");
  });
});

describe("preprocessor hash", () => {
  const p = fitPreprocessor(rows, opts(base));

  it("is stable for the same data and survives a JSON round trip", () => {
    expect(fitPreprocessor(rows, opts(base)).hash).toBe(p.hash);
    const back = parsePreprocessor(JSON.parse(JSON.stringify(p)), "preprocess.json");
    expect(back.hash).toBe(p.hash);
  });

  it.each([
    [
      "different training rows",
      () => fitPreprocessor([...rows, { h: 10, w: 1, c: "red", y: "a" }], opts(base)),
    ],
    ["different transforms", () => fitPreprocessor(rows, opts(base.filter((t) => t.op !== "minmax")))],
    [
      "different target",
      () =>
        fitPreprocessor(
          rows.map((r) => ({ ...r, z: r.y })),
          { ...opts(base), target: "z" },
        ),
    ],
  ])("changes with %s", (_name, refit) => {
    expect(refit().hash).not.toBe(p.hash);
  });

  it("rejects an edited file", () => {
    const edited = JSON.parse(JSON.stringify(p)) as typeof p;
    (edited.columns[0]!.steps[0] as { mean: number }).mean = 99;
    expect(FittedPreprocessorSchema.safeParse(edited).success).toBe(false);
    expect(code(() => parsePreprocessor(edited, "preprocess.json"))).toBe("preprocess-invalid");
  });
});
