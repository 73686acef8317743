import { describe, expect, it } from "vitest";
import { compareAllclose } from "../../../runners/train/compare-allclose.ts";

const defaults = { rtol: 1e-4, atol: 1e-5, width: 1 };

describe("compareAllclose (numpy allclose, equal_nan=False)", () => {
  it.each([
    ["float32 rounding of a price", [3702.9509], [3702.9507], true],
    ["a thousands-scale diff under rtol, though over a fixed 1e-4", [4101.0352], [4101.0356], true],
    ["a real error on a price", [3702], [3712], false],
    ["a tiny probability within atol", [1e-9], [2e-9], true],
    ["a near-zero value past atol", [0], [3e-5], false],
    ["within rtol of the tfjs value", [1.00005], [1], true],
    ["NaN on the ONNX side", [NaN], [1], false],
    ["NaN on both sides is still a mismatch", [NaN], [NaN], false],
    ["equal infinities match", [Infinity], [Infinity], true],
    ["opposite infinities do not", [-Infinity], [Infinity], false],
    ["a finite value against an infinity", [1e30], [Infinity], false],
    ["different lengths", [1, 2], [1], false],
  ])("%s", (_name, actual, expected, ok) => {
    expect(compareAllclose(actual, expected, defaults).ok).toBe(ok);
  });

  it("names the worst element's row, column and both values", () => {
    // 3 rows × 2 outputs; row 2 (0-based 1), output 1 breaks the bound the most.
    const tfjs = [0.5, 0.5, 1000, 2000, 0.1, 0.9];
    const onnx = [0.5, 0.5001, 1000.01, 2003, 0.1, 0.9];
    const r = compareAllclose(onnx, tfjs, { ...defaults, width: 2 });
    expect(r.ok).toBe(false);
    expect(r.mismatches).toBe(2);
    expect(r.worst).toEqual({
      row: 1,
      column: 1,
      actual: 2003,
      expected: 2000,
      absDiff: 3,
      allowed: 1e-5 + 0.2,
    });
    expect(r.maxAbsDiff).toBe(3);
  });

  it("puts a NaN first and records it as null, so run.json stays valid JSON", () => {
    const r = compareAllclose([1, NaN, 5], [1, 2, 9], defaults);
    expect(r.worst).toMatchObject({ row: 1, actual: null, expected: 2, absDiff: null });
    expect(r.maxAbsDiff).toBe(Number.MAX_VALUE);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
