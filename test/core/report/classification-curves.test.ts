import { describe, expect, it } from "vitest";
import { precisionRecallCurve, rocCurve } from "../../../core/report/charts/classification-curves.ts";

// Expected values from scikit-learn 1.2.1: roc_auc_score, average_precision_score and
// roc_curve(drop_intermediate=False) on the same labels and scores (tied scores 0.7 included).
const truth = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0].map((y) => y === 1);
const scores = [0.9, 0.8, 0.7, 0.7, 0.6, 0.4, 0.35, 0.3, 0.2, 0.1];

describe("classification curves", () => {
  it("ROC points and AUC match scikit-learn", () => {
    const roc = rocCurve(scores, truth);
    expect(roc.area).toBeCloseTo(0.6399999999999999, 12);
    const expectedFpr = [0.0, 0.0, 0.2, 0.2, 0.4, 0.6, 0.6, 0.8, 0.8, 1.0];
    const expectedTpr = [0.0, 0.2, 0.2, 0.6, 0.6, 0.6, 0.8, 0.8, 1.0, 1.0];
    roc.points.forEach((p, i) => {
      expect(p.x).toBeCloseTo(expectedFpr[i]!, 12);
      expect(p.y).toBeCloseTo(expectedTpr[i]!, 12);
    });
    expect(roc.points).toHaveLength(expectedFpr.length);
  });

  it("average precision matches scikit-learn", () => {
    expect(precisionRecallCurve(scores, truth).area).toBeCloseTo(0.7253968253968255, 12);
  });

  it.each([
    ["no positive", [false, false]],
    ["no negative", [true, true]],
  ])("ROC AUC is NaN with %s", (_, positive) => {
    expect(rocCurve([0.2, 0.8], positive).area).toBeNaN();
  });
});
