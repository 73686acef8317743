import { describe, expect, it } from "vitest";
import type { Transform } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { fitPreprocessor, parsePreprocessor } from "../../../core/features/preprocessor.ts";
import {
  fitTargetTransform,
  resolveTargetOp,
  scaleTargets,
  unscaleTargets,
} from "../../../core/features/target-transform.ts";

const req = (
  task: "classification" | "regression",
  standardize: boolean | undefined,
  transforms: Transform[] = [],
) => ({ task, target: "price", standardize, transforms });

describe("resolveTargetOp", () => {
  it.each([
    ["regression by default", req("regression", undefined), "standardize"],
    ["regression, standardize: true", req("regression", true), "standardize"],
    ["regression, standardize: false", req("regression", false), undefined],
    [
      "regression, a standardize transform on the target",
      req("regression", undefined, [{ op: "standardize", column: "price" }]),
      "standardize",
    ],
    [
      "regression, a minmax transform on the target",
      req("regression", undefined, [{ op: "minmax", column: "price" }]),
      "minmax",
    ],
    ["classification", req("classification", undefined), undefined],
  ])("%s", (_name, request, op) => {
    expect(resolveTargetOp(request)).toBe(op);
  });

  it.each([
    ["standardizing a class", req("classification", true), "target-transform-invalid"],
    [
      "a transform on a class",
      req("classification", undefined, [{ op: "standardize", column: "price" }]),
      "target-transform-invalid",
    ],
    [
      "one-hot on a numeric target",
      req("regression", undefined, [{ op: "onehot", column: "price" }]),
      "target-transform-invalid",
    ],
    [
      "a transform and standardize: false",
      req("regression", false, [{ op: "minmax", column: "price" }]),
      "transform-conflict",
    ],
    [
      "two scalings",
      req("regression", undefined, [
        { op: "minmax", column: "price" },
        { op: "standardize", column: "price" },
      ]),
      "transform-conflict",
    ],
  ])("refuses %s", (_name, request, code) => {
    expect(() => resolveTargetOp(request)).toThrow(ModelshipError);
    try {
      resolveTargetOp(request);
    } catch (err) {
      expect((err as ModelshipError).code).toBe(code);
      expect((err as ModelshipError).problems[0]?.hint).toBeTruthy();
    }
  });
});

describe("target scaling round trip", () => {
  it.each([["standardize" as const], ["minmax" as const]])(
    "%s: scale then unscale gives the prices back",
    (op) => {
      const prices = [1200, 2500, 4999.5, 3100];
      const t = fitTargetTransform(prices, op);
      const scaled = scaleTargets(t, Float32Array.from(prices));
      if (op === "standardize") expect(Math.abs(scaled.reduce((a, b) => a + b, 0))).toBeLessThan(1e-4);
      else expect([Math.min(...scaled), Math.max(...scaled)]).toEqual([0, 1]);
      unscaleTargets(t, scaled).forEach((v, i) => expect(v).toBeCloseTo(prices[i]!, 2));
    },
  );

  it("keeps a constant target finite", () => {
    expect(fitTargetTransform([7, 7, 7], "standardize")).toEqual({ op: "standardize", mean: 7, std: 1 });
  });
});

describe("fitPreprocessor with a regression target", () => {
  const rows = [
    { x: 1, price: 1000 },
    { x: 2, price: 3000 },
    { x: 3, price: 5000 },
  ];
  const base = { features: ["x"], target: "price", task: "regression" as const, transforms: [] };

  it("standardizes it by default, on the training rows, and versions it in the hash", () => {
    const p = fitPreprocessor(rows, base);
    expect(p.targetTransform).toEqual({ op: "standardize", mean: 3000, std: Math.sqrt(8e6 / 3) });
    const off = fitPreprocessor(rows, { ...base, targetStandardize: false });
    expect(off.targetTransform).toBeUndefined();
    expect(off.hash).not.toBe(p.hash);
    expect(parsePreprocessor(JSON.parse(JSON.stringify(p)), "preprocess.json")).toEqual(p);
  });

  it("refuses a preprocess.json whose target scaling was edited", () => {
    const p = fitPreprocessor(rows, base);
    const edited = { ...p, targetTransform: { op: "standardize", mean: 0, std: 1 } };
    expect(() => parsePreprocessor(edited, "preprocess.json")).toThrow(/hash does not match/);
  });

  it("accepts a transform on the target column instead of calling it an unknown feature", () => {
    const p = fitPreprocessor(rows, { ...base, transforms: [{ op: "minmax", column: "price" }] });
    expect(p.targetTransform).toEqual({ op: "minmax", min: 1000, range: 4000 });
    expect(p.columns.map((c) => c.name)).toEqual(["x"]);
  });
});
