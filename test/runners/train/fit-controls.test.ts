import { describe, expect, it } from "vitest";
import { TrainParamsSchema, type TrainParams } from "../../../core/config/schema.ts";
import { buildModel } from "../../../runners/train/build-model.ts";
import { fitModel, type FitControl } from "../../../runners/train/fit-model.ts";
import { selectBackend } from "../../../runners/train/select-backend.ts";

const { tf } = await selectBackend();

const ROWS = 100;
const WIDTH = 4;

/** Three classes of a deterministic 4-feature data set; class 2 is rare (imbalanced). */
function dataset() {
  const x = new Float32Array(ROWS * WIDTH);
  const labels = new Int32Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    for (let c = 0; c < WIDTH; c++) x[r * WIDTH + c] = Math.sin(r * 1.7 + c * 0.9) * 2;
    labels[r] = r % 10 === 0 ? 2 : x[r * WIDTH]! > 0 ? 1 : 0;
  }
  return tf.tidy(() => ({
    xTrain: tf.tensor2d(x.slice(0, 80 * WIDTH), [80, WIDTH]),
    yTrain: tf.oneHot(tf.tensor1d(labels.slice(0, 80), "int32"), 3).toFloat(),
    xVal: tf.tensor2d(x.slice(80 * WIDTH), [20, WIDTH]),
    yVal: tf.oneHot(tf.tensor1d(labels.slice(80), "int32"), 3).toFloat(),
  }));
}

async function train(overrides: Record<string, unknown>, control: FitControl = {}) {
  const params: TrainParams = TrainParamsSchema.parse({
    layers: [{ units: 6, activation: "tanh" }],
    optimizer: "sgd",
    learningRate: 0.2,
    epochs: 3,
    batchSize: 32,
    seed: 3,
    ...overrides,
  });
  const model = buildModel(tf, { inputWidth: WIDTH, outputUnits: 3, task: "classification", params });
  const data = dataset();
  try {
    const fit = await fitModel(
      tf,
      model,
      data,
      params,
      undefined,
      {},
      { task: "classification", ...control },
    );
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    return { fit, weights };
  } finally {
    model.dispose();
    Object.values(data).forEach((t) => t.dispose());
  }
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((w, i) => w.map((v, j) => Math.abs(v - b[i]![j]!))));
}

describe("gradient accumulation", () => {
  it("8-row batches accumulated 4 times give the weights of 32-row batches (SGD, 3 epochs, 80 rows)", async () => {
    const large = await train({ batchSize: 32 });
    const accumulated = await train({ batchSize: 8, accumulateSteps: 4 });
    expect(maxAbsDiff(large.weights, accumulated.weights)).toBeLessThan(1e-5);
    // The reported losses agree too: same mean over the epoch's rows.
    large.fit.epochs.forEach((e, i) => {
      expect(accumulated.fit.epochs[i]!.val_loss).toBeCloseTo(e.val_loss!, 5);
    });
    // And the weights did move: small batches without accumulation end elsewhere.
    const small = await train({ batchSize: 8 });
    expect(maxAbsDiff(large.weights, small.weights)).toBeGreaterThan(1e-2);
  });

  it("weighs each micro-batch by its rows when the last group is partial (80 = 2·32 + 16)", async () => {
    const large = await train({ batchSize: 32, epochs: 1 });
    const uneven = await train({ batchSize: 12, accumulateSteps: 3, epochs: 1 });
    // Groups of 36 rows differ from groups of 32: a different trajectory, not a wrong sum.
    expect(maxAbsDiff(large.weights, uneven.weights)).toBeGreaterThan(1e-4);
    const matching = await train({ batchSize: 16, accumulateSteps: 2, epochs: 1 });
    expect(maxAbsDiff(large.weights, matching.weights)).toBeLessThan(1e-5);
  });

  it("applies class weights like model.fit's classWeight does", async () => {
    const control = { classWeights: [1, 0.5, 4] };
    const large = await train({ batchSize: 32 }, control);
    const accumulated = await train({ batchSize: 8, accumulateSteps: 4 }, control);
    expect(maxAbsDiff(large.weights, accumulated.weights)).toBeLessThan(1e-5);
    const unweighted = await train({ batchSize: 32 });
    expect(maxAbsDiff(large.weights, unweighted.weights)).toBeGreaterThan(1e-3);
  });
});

describe("learning-rate schedules in training", () => {
  it("records each epoch's rate and uses it: a step decay to 0 freezes the weights", async () => {
    const { fit } = await train({ epochs: 4, lrSchedule: { type: "step", stepSize: 2, gamma: 0.5 } });
    expect(fit.epochs.map((e) => e.lr)).toEqual([0.2, 0.2, 0.1, 0.1]);
    const frozen2 = await train({ epochs: 2, lrSchedule: { type: "cosine", periodEpochs: 1 } });
    const frozen4 = await train({ epochs: 4, lrSchedule: { type: "cosine", periodEpochs: 1 } });
    // Cosine over 1 epoch: epoch 1 at the base rate, later epochs at minLearningRate 0.
    expect(frozen4.fit.epochs.map((e) => e.lr)).toEqual([0.2, 0, 0, 0]);
    expect(maxAbsDiff(frozen2.weights, frozen4.weights)).toBe(0);
  });

  it("has no lr column without a schedule", async () => {
    const { fit } = await train({ epochs: 1 });
    expect(fit.epochs[0]).not.toHaveProperty("lr");
  });
});

describe("shouldStop", () => {
  it("ends training after the epoch it answers true, and says so", async () => {
    const seen: number[] = [];
    const { fit } = await train(
      { epochs: 5 },
      { shouldStop: (log) => (seen.push(log.epoch), log.epoch === 2) },
    );
    expect(seen).toEqual([1, 2]);
    expect(fit.epochs).toHaveLength(2);
    expect(fit.prunedAtEpoch).toBe(2);
  });

  it("is not asked after the last epoch", async () => {
    const seen: number[] = [];
    const { fit } = await train(
      { epochs: 2 },
      { shouldStop: (log) => (seen.push(log.epoch), true) && log.epoch > 5 },
    );
    expect(seen).toEqual([1]);
    expect(fit.prunedAtEpoch).toBeUndefined();
  });
});
