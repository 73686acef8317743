import { describe, expect, it } from "vitest";
import { compareAnswers } from "../../../core/rollout/compare-answers.ts";

const probs = (...p: number[]) => ({
  outputs: [{ name: "probabilities", datatype: "FP32", shape: [1, p.length], data: p }],
});
const label = (l: string) => ({
  outputs: [
    { name: "probabilities", datatype: "FP32", shape: [1, 2], data: [0.5, 0.5] },
    { name: "label", datatype: "BYTES", shape: [1], data: [l] },
  ],
});
const pred = (x: number) => ({
  outputs: [{ name: "prediction", datatype: "FP32", shape: [1, 1], data: [x] }],
});

describe("compareAnswers", () => {
  it.each([
    [
      "same argmax on every row",
      [probs(0.7, 0.3), probs(0.1, 0.9)],
      [probs(0.6, 0.4), probs(0.2, 0.8)],
      { kind: "classification", rows: 2, agreed: 2 },
    ],
    [
      "argmax flips on one row",
      [probs(0.7, 0.3), probs(0.1, 0.9)],
      [probs(0.4, 0.6), probs(0.2, 0.8)],
      { kind: "classification", rows: 2, agreed: 1 },
    ],
    [
      "labels win over scores",
      [label("setosa"), label("virginica")],
      [label("setosa"), label("setosa")],
      { kind: "classification", rows: 2, agreed: 1 },
    ],
    [
      "regression within 10% of the live value",
      [pred(100), pred(0.5)],
      [pred(109), pred(0.55)],
      { kind: "regression", rows: 2, agreed: 2 },
    ],
    [
      "regression off by more than the tolerance",
      [pred(100), pred(0)],
      [pred(111), pred(0.2)],
      { kind: "regression", rows: 2, agreed: 0 },
    ],
    [
      "rows a version did not answer are left out",
      [probs(0.7, 0.3), undefined],
      [undefined, probs(0.1, 0.9)],
      { rows: 0, agreed: 0, rate: 1 },
    ],
  ])("%s", (_name, live, candidate, want) => {
    expect(compareAnswers(live, candidate, 0.1)).toMatchObject(want);
  });
});
