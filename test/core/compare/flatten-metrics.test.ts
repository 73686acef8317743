import { describe, expect, it } from "vitest";
import { flattenMetrics } from "../../../core/compare/flatten-metrics.ts";
import { flattenParams } from "../../../core/compare/flatten-params.ts";

describe("flattenMetrics", () => {
  it.each([
    { title: "flat", doc: { accuracy: 0.9, loss: 0.2 }, out: { accuracy: 0.9, loss: 0.2 } },
    {
      title: "DVC-style nested",
      doc: { train: { loss: 0.2 }, eval: { acc: 0.9 } },
      out: { "train.loss": 0.2, "eval.acc": 0.9 },
    },
    {
      title: "non-numeric leaves and arrays ignored",
      doc: { a: "0.5", b: true, c: null, d: [1, 2], e: { f: [[1]], g: 3 } },
      out: { "e.g": 3 },
    },
    { title: "NaN kept so gates can reject it", doc: { loss: NaN }, out: { loss: NaN } },
    { title: "not an object", doc: [1, 2], out: {} },
  ])("$title", ({ doc, out }) => {
    expect(flattenMetrics(doc)).toEqual(out);
  });
});

describe("flattenParams", () => {
  it("uses dotted keys for objects and array indices, sorted, keeping empty containers as leaves", () => {
    expect(
      flattenParams({
        z: 1,
        layers: [{ units: 8 }, { units: 4 }],
        opt: { name: "adam", betas: [] },
        tags: {},
      }),
    ).toEqual({
      "layers.0.units": 8,
      "layers.1.units": 4,
      "opt.betas": [],
      "opt.name": "adam",
      tags: {},
      z: 1,
    });
  });
});
