import { describe, expect, it } from "vitest";
import { autoBump, signatureChanged, type SignatureLike } from "../../../core/version/auto-bump.ts";

describe("autoBump", () => {
  it.each([
    [{ signatureChanged: true, primaryImproved: true }, "major"],
    [{ signatureChanged: true, primaryImproved: false }, "major"],
    [{ signatureChanged: false, primaryImproved: true }, "minor"],
    [{ signatureChanged: false, primaryImproved: false }, "patch"],
  ])("%o → %s", (change, expected) => {
    expect(autoBump(change)).toBe(expected);
  });
});

describe("signatureChanged", () => {
  const base: SignatureLike = {
    inputs: [{ name: "features", datatype: "FP32", shape: [-1, 4] }],
    outputs: [{ name: "probabilities", datatype: "FP32", shape: [-1, 3] }],
  };
  const withInput = (patch: Partial<SignatureLike["inputs"][number]>): SignatureLike => ({
    ...base,
    inputs: [{ ...(base.inputs[0] as SignatureLike["inputs"][number]), ...patch }],
  });
  it.each<[string, SignatureLike | undefined, SignatureLike | undefined, boolean]>([
    ["identical", base, structuredClone(base), false],
    ["both missing", undefined, undefined, false],
    ["signature added", undefined, base, true],
    ["signature dropped", base, undefined, true],
    ["input renamed", base, withInput({ name: "x" }), true],
    ["input dtype changed", base, withInput({ datatype: "FP64" }), true],
    ["input width changed", base, withInput({ shape: [-1, 5] }), true],
    [
      "output added",
      base,
      { ...base, outputs: [...base.outputs, { name: "label", datatype: "INT64", shape: [-1] }] },
      true,
    ],
  ])("%s → %s", (_label, previous, next, expected) => {
    expect(signatureChanged(previous, next)).toBe(expected);
  });
});
