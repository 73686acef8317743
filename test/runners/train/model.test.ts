import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TrainParamsSchema, type Layer } from "../../../core/config/schema.ts";
import { splitTrainValidation } from "../../../core/data/split.ts";
import {
  applyPreprocessor,
  encodeTargets,
  fitPreprocessor,
  rowsToColumns,
} from "../../../core/features/preprocessor.ts";
import { buildModel } from "../../../runners/train/build-model.ts";
import { runOnnx } from "../../../runners/train/check-parity.ts";
import { compareAllclose } from "../../../runners/train/compare-allclose.ts";
import { exportOnnx, type DenseWeights } from "../../../runners/train/export-onnx.ts";
import { fitModel } from "../../../runners/train/fit-model.ts";
import { selectBackend } from "../../../runners/train/select-backend.ts";

const { tf } = await selectBackend();
type Model = ReturnType<typeof buildModel>;

function weightsOf(model: Model, activations: DenseWeights["activation"][]): DenseWeights[] {
  return model.layers
    .filter((l) => l.getClassName() === "Dense")
    .map((l, i) => {
      const [k, b] = l.getWeights();
      const [inputs, units] = k!.shape as [number, number];
      return {
        kernel: k!.dataSync() as Float32Array,
        bias: b!.dataSync() as Float32Array,
        inputs,
        units,
        activation: activations[i]!,
      };
    });
}

function predict(model: Model, x: Float32Array, rows: number, width: number): Float32Array {
  return tf.tidy(
    () =>
      (
        model.predict(tf.tensor2d(x, [rows, width])) as ReturnType<typeof tf.tensor>
      ).dataSync() as Float32Array,
  );
}

function seededInput(rows: number, width: number): Float32Array {
  const x = new Float32Array(rows * width);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 3;
  return x;
}

describe("buildModel", () => {
  it("has the configured layers and a softmax output whose rows sum to 1", () => {
    const params = TrainParamsSchema.parse({
      layers: [
        { units: 8, dropout: 0.2 },
        { units: 4, activation: "tanh" },
      ],
    });
    const model = buildModel(tf, { inputWidth: 5, outputUnits: 3, task: "classification", params });
    try {
      expect(model.layers.map((l) => l.getClassName())).toEqual(["Dense", "Dropout", "Dense", "Dense"]);
      expect(model.outputs[0]!.shape).toEqual([null, 3]);
      expect(model.countParams()).toBe(5 * 8 + 8 + 8 * 4 + 4 + 4 * 3 + 3);
      const out = predict(model, seededInput(4, 5), 4, 5);
      for (let r = 0; r < 4; r++) expect(out[r * 3]! + out[r * 3 + 1]! + out[r * 3 + 2]!).toBeCloseTo(1, 5);
    } finally {
      model.dispose();
    }
  });

  it("starts from the same weights for the same seed", () => {
    const params = TrainParamsSchema.parse({ seed: 3 });
    const a = buildModel(tf, { inputWidth: 4, outputUnits: 1, task: "regression", params });
    const b = buildModel(tf, { inputWidth: 4, outputUnits: 1, task: "regression", params });
    expect(Array.from(a.getWeights()[0]!.dataSync())).toEqual(Array.from(b.getWeights()[0]!.dataSync()));
    a.dispose();
    b.dispose();
  });
});

describe("fitModel", () => {
  it("lowers the loss on a real regression data set and records every epoch", async () => {
    const text = await readFile(join(import.meta.dirname, "../../fixtures/data/regression.csv"), "utf8");
    const rows = text
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(",").map(Number));
    const x = tf.tensor2d(rows.map((r) => [r[0]! / 10, r[1]! / 5]));
    const y = tf.tensor2d(rows.map((r) => [r[3]!]));
    const params = TrainParamsSchema.parse({
      layers: [{ units: 8 }],
      epochs: 15,
      learningRate: 0.05,
      batchSize: 16,
    });
    const model = buildModel(tf, { inputWidth: 2, outputUnits: 1, task: "regression", params });
    try {
      const fit = await fitModel(tf, model, { xTrain: x, yTrain: y, xVal: x, yVal: y }, params);
      expect(fit.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(Object.keys(fit.epochs[0]!)).toEqual(["epoch", "loss", "mae", "val_loss", "val_mae"]);
      expect(fit.epochs.at(-1)!.loss).toBeLessThan(fit.epochs[0]!.loss! / 3);
      expect(fit.samplesSeen).toBe(120 * 15);
    } finally {
      model.dispose();
      tf.dispose([x, y]);
    }
  });

  it("stops early and restores the best epoch's weights", async () => {
    const x = tf.tensor2d(seededInput(64, 3), [64, 3]);
    const y = tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: 64 }, (_, i) => i % 2),
          "int32",
        ),
        2,
      )
      .toFloat();
    // A huge learning rate makes validation loss bounce, so patience 1 ends training early.
    const params = TrainParamsSchema.parse({ epochs: 40, learningRate: 5, earlyStopping: { patience: 1 } });
    const model = buildModel(tf, { inputWidth: 3, outputUnits: 2, task: "classification", params });
    try {
      const fit = await fitModel(tf, model, { xTrain: x, yTrain: y, xVal: x, yVal: y }, params);
      expect(fit.stoppedEarly).toBe(true);
      const best = fit.epochs[fit.bestEpoch - 1]!.val_loss!;
      expect(Math.min(...fit.epochs.map((e) => e.val_loss!))).toBe(best);
      const now = tf.tidy(() => (model.evaluate(x, y) as ReturnType<typeof tf.tensor>[])[0]!.dataSync()[0]!);
      expect(now).toBeCloseTo(best, 4);
    } finally {
      model.dispose();
      tf.dispose([x, y]);
    }
  });
});

describe("ONNX export", () => {
  const activations: Layer["activation"][] = ["relu", "tanh", "sigmoid", "elu", "selu", "linear"];
  it.each(
    activations.flatMap(
      (a) =>
        [
          [a, "classification"],
          [a, "regression"],
        ] as const,
    ),
  )("%s hidden layer, %s: onnxruntime matches tfjs within 1e-5", async (activation, task) => {
    const params = TrainParamsSchema.parse({
      layers: [
        { units: 7, activation },
        { units: 5, activation },
      ],
      seed: 9,
    });
    const outputUnits = task === "classification" ? 4 : 1;
    const model = buildModel(tf, { inputWidth: 6, outputUnits, task, params });
    try {
      const x = seededInput(32, 6);
      const onnx = exportOnnx({
        layers: weightsOf(model, [activation, activation, task === "classification" ? "softmax" : "linear"]),
        task,
      });
      const got = await runOnnx(onnx, x, 32, 6);
      expect(got).toHaveLength(32 * outputUnits);
      expect(compareAllclose(got, predict(model, x, 32, 6), { rtol: 0, atol: 1e-5, width: 1 }).ok).toBe(true);
    } finally {
      model.dispose();
    }
  });
});

describe("training and serving agree", () => {
  it("tfjs on training-time rows equals applyPreprocessor on raw request columns + onnxruntime, on held-out penguins", async () => {
    const file = join(import.meta.dirname, "../../../examples/penguins/data/penguins.json");
    const rows = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>[];
    const features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island", "sex"];
    const split = splitTrainValidation(rows.length, { validationSplit: 0.3, seed: 5 });
    const train = split.train.map((i) => rows[i]!);
    const held = split.validation.map((i) => rows[i]!);
    const p = fitPreprocessor(train, {
      features,
      target: "species",
      task: "classification",
      transforms: [
        ...features.slice(0, 4).flatMap((column) => [
          { op: "impute" as const, column, strategy: "mean" as const },
          { op: "standardize" as const, column },
        ]),
        { op: "onehot", column: "island" },
        { op: "impute", column: "sex", strategy: "most_frequent" },
        { op: "onehot", column: "sex" },
      ],
    });
    const params = TrainParamsSchema.parse({ layers: [{ units: 12, activation: "tanh" }], epochs: 5 });
    const model = buildModel(tf, {
      inputWidth: p.outputWidth,
      outputUnits: 3,
      task: "classification",
      params,
    });
    const x = tf.tensor2d(applyPreprocessor(p, rowsToColumns(train, features), train.length), [
      train.length,
      p.outputWidth,
    ]);
    const y = tf.oneHot(tf.tensor1d(Int32Array.from(encodeTargets(p, train)), "int32"), 3).toFloat();
    try {
      await fitModel(tf, model, { xTrain: x, yTrain: y, xVal: x, yVal: y }, params);
      const trainingTime = predict(
        model,
        applyPreprocessor(p, rowsToColumns(held, features), held.length),
        held.length,
        p.outputWidth,
      );

      // What a V2 inference request carries: FP32 tensors (NaN for missing) and BYTES tensors.
      const request: Record<string, ArrayLike<unknown>> = {};
      for (const c of p.columns) {
        request[c.name] =
          c.kind === "numeric"
            ? Float32Array.from(held.map((r) => (r[c.name] === null ? NaN : Number(r[c.name]))))
            : held.map((r) => (r[c.name] === null ? "" : String(r[c.name])));
      }
      const servingInput = applyPreprocessor(p, request, held.length);
      const onnx = exportOnnx({
        layers: weightsOf(model, ["tanh", "softmax"]),
        task: "classification",
        labels: p.labels,
      });
      const servingTime = await runOnnx(onnx, servingInput, held.length, p.outputWidth);

      expect(held.some((r) => features.some((f) => r[f] === null))).toBe(true);
      expect(compareAllclose(servingTime, trainingTime, { rtol: 0, atol: 1e-4, width: 3 }).ok).toBe(true);
    } finally {
      model.dispose();
      tf.dispose([x, y]);
    }
  });
});
