import { describe, expect, it } from "vitest";
import { evaluateClassification, evaluateRegression } from "../../../core/data/evaluate.ts";
import { parseParamOverrides } from "../../../core/data/parse-param-overrides.ts";
import { sha256Hex } from "../../../core/data/sha256.ts";

describe("evaluateClassification", () => {
  it.each([
    // probabilities (2 classes, row-major), truth, accuracy, f1_macro, log_loss
    [[1, 0, 0, 1], [0, 1], 1, 1, 0],
    [[0.8, 0.2, 0.6, 0.4], [0, 1], 0.5, (2 / 3 + 0) / 2, -(Math.log(0.8) + Math.log(0.4)) / 2],
    [[0, 1], [0], 0, 0, -Math.log(1e-15)],
  ])("probabilities %j against %j", (probs, truth, accuracy, f1, logLoss) => {
    const m = evaluateClassification(probs, truth, 2);
    expect(m.accuracy).toBeCloseTo(accuracy, 10);
    expect(m.f1_macro).toBeCloseTo(f1, 10);
    expect(m.log_loss).toBeCloseTo(logLoss, 6);
  });
});

describe("evaluateRegression", () => {
  it.each([
    [[1, 2, 3], [1, 2, 3], { mse: 0, rmse: 0, mae: 0, r2: 1 }],
    [[2, 2, 2], [1, 2, 3], { mse: 2 / 3, rmse: Math.sqrt(2 / 3), mae: 2 / 3, r2: 0 }],
  ])("predictions %j against %j", (pred, truth, expected) => {
    const m = evaluateRegression(pred, truth);
    for (const [k, v] of Object.entries(expected)) expect(m[k as keyof typeof m]).toBeCloseTo(v, 10);
  });
});

describe("parseParamOverrides", () => {
  it.each([
    [["epochs=5"], { epochs: 5 }],
    [["optimizer=sgd", "learningRate=1e-3"], { optimizer: "sgd", learningRate: 0.001 }],
    [
      ["earlyStopping.patience=3", "earlyStopping.monitor=val_accuracy"],
      { earlyStopping: { patience: 3, monitor: "val_accuracy" } },
    ],
    [['layers=[{"units":8}]'], { layers: [{ units: 8 }] }],
  ])("%j", (pairs, expected) => {
    expect(parseParamOverrides(pairs)).toEqual(expected);
  });

  it.each([["epochs"], ["=5"], ["a..b=1"], ["__proto__.x=1"]])("rejects %s", (pair) => {
    expect(() => parseParamOverrides([pair])).toThrow(/key=value/);
  });
});

describe("sha256Hex", () => {
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["a".repeat(56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"],
  ])("hashes %j", (text, hex) => {
    expect(sha256Hex(text)).toBe(hex);
  });
});
