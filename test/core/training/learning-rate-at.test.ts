import { describe, expect, it } from "vitest";
import { LrScheduleSchema } from "../../../core/config/schema.ts";
import { resolveClassWeights } from "../../../core/training/class-weights.ts";
import { learningRateAt } from "../../../core/training/learning-rate-at.ts";

const at = (schedule: unknown, epoch: number, history: Record<string, number>[] = [], epochs = 10) =>
  learningRateAt({ base: 0.1, schedule: LrScheduleSchema.parse(schedule), epoch, epochs, history });

describe("learningRateAt", () => {
  it.each([
    [{ type: "step" }, 0, 0.1],
    [{ type: "step" }, 9, 0.1],
    [{ type: "step" }, 10, 0.01],
    [{ type: "step", stepSize: 3, gamma: 0.5 }, 7, 0.025],
    [{ type: "cosine" }, 0, 0.1],
    [{ type: "cosine" }, 5, 0.05],
    [{ type: "cosine" }, 10, 0],
    [{ type: "cosine", minLearningRate: 0.02, periodEpochs: 4 }, 2, 0.06],
    [{ type: "cosine", minLearningRate: 0.02, periodEpochs: 4 }, 9, 0.02],
  ])("%j at epoch %i is %d", (schedule, epoch, expected) => {
    expect(at(schedule, epoch)).toBeCloseTo(expected, 12);
  });

  it("is the base rate without a schedule", () => {
    expect(learningRateAt({ base: 0.3, schedule: undefined, epoch: 7, epochs: 9, history: [] })).toBe(0.3);
  });

  describe("reduce on plateau (Keras' rules)", () => {
    const losses = (...v: number[]) => v.map((val_loss) => ({ val_loss }));
    const plateau = { type: "plateau", patience: 2, factor: 0.5 };
    it.each([
      ["improving: unchanged", losses(1, 0.9, 0.8, 0.7), 0.1],
      ["two epochs without improvement: halved", losses(1, 1, 1), 0.05],
      ["one epoch without improvement: unchanged", losses(1, 0.5, 0.6), 0.1],
      ["improvement smaller than minDelta does not count", losses(1, 0.99995, 0.9999), 0.05],
      ["halved twice after four flat epochs", losses(1, 1, 1, 1, 1), 0.025],
    ])("%s", (_name, history, expected) => {
      expect(at(plateau, history.length, history)).toBeCloseTo(expected, 12);
    });

    it("waits out the cooldown before counting again", () => {
      const s = { ...plateau, cooldown: 2 };
      expect(at(s, 5, losses(1, 1, 1, 1, 1))).toBeCloseTo(0.05, 12);
      expect(at(s, 7, losses(1, 1, 1, 1, 1, 1, 1))).toBeCloseTo(0.025, 12);
    });

    it("stops at minLearningRate and watches a maximised metric upwards", () => {
      expect(at({ ...plateau, minLearningRate: 0.04 }, 9, losses(1, 1, 1, 1, 1, 1, 1, 1, 1))).toBe(0.04);
      const acc = [0.5, 0.6, 0.7, 0.8].map((val_accuracy) => ({ val_accuracy }));
      expect(at({ ...plateau, monitor: "val_accuracy" }, 4, acc)).toBe(0.1);
    });

    it("uses only the epochs before the one asked for", () => {
      expect(at(plateau, 1, losses(1, 1, 1))).toBe(0.1);
    });
  });
});

describe("resolveClassWeights", () => {
  const labels = ["a", "b", "c"];
  const targets = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2];
  it.each([
    ["none", undefined, undefined],
    // scikit-learn compute_class_weight("balanced"): n / (k · count)
    ["balanced", "balanced", [10 / 18, 10 / 9, 10 / 3]],
    ["by label, others 1", { c: 5 }, [1, 1, 5]],
  ] as const)("%s", (_name, spec, expected) => {
    const r = resolveClassWeights(spec as never, labels, targets);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    if (expected === undefined) expect(r.weights).toBeUndefined();
    else r.weights!.forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 12));
  });

  it("refuses a label the data does not have", () => {
    expect(resolveClassWeights({ d: 2 }, labels, targets)).toMatchObject({
      ok: false,
      reason: "class-weights-unknown-label",
    });
  });
});
