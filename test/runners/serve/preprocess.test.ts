import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelshipError } from "../../../core/errors.ts";
import {
  applyPreprocessor,
  fitPreprocessor,
  type FittedPreprocessor,
} from "../../../core/features/preprocessor.ts";
import { startInferenceServer, type InferenceServer } from "../../../runners/serve/server.ts";
import { linearClassifierModel } from "../../fixtures/onnx/make-models.ts";
import { get, makeFixtures, post, type Fixtures } from "./serve-helpers.ts";

// A trained-model directory as the trainer writes it: model.onnx plus the fitted preprocess.json.
const ROWS = [
  { length: 1.0, color: "red", kind: "a" },
  { length: 2.5, color: "blue", kind: "b" },
  { length: 4.0, color: "green", kind: "c" },
  { length: null, color: "red", kind: "a" },
  { length: 3.1, color: "blue", kind: "b" },
];

let fx: Fixtures;
let p: FittedPreprocessor;
let weights: number[][];
const BIAS = [0.05, -0.05, 0];
let server: InferenceServer;
let url: string;

async function writeModelDir(dir: string, pre: unknown, model: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.onnx"), model);
  await writeFile(join(dir, "preprocess.json"), JSON.stringify(pre));
  return dir;
}

function softmaxRows(features: Float32Array, width: number): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < features.length / width; r++) {
    const logits = BIAS.map((b, j) => weights.reduce((s, w, i) => s + features[r * width + i]! * w[j]!, b));
    const max = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - max));
    const sum = e.reduce((a, b) => a + b, 0);
    rows.push(e.map((x) => x / sum));
  }
  return rows;
}

beforeAll(async () => {
  fx = await makeFixtures();
  p = fitPreprocessor(ROWS, {
    features: ["length", "color"],
    target: "kind",
    task: "classification",
    transforms: [
      { op: "impute", column: "length", strategy: "mean" },
      { op: "standardize", column: "length" },
      { op: "onehot", column: "color" },
    ],
  });
  weights = Array.from({ length: p.outputWidth }, (_, i) => [
    0.9 * (i % 2 ? -1 : 1),
    0.3 * i,
    -0.4 + 0.2 * i,
  ]);
  const dir = await writeModelDir(join(fx.dir, "trained", "model"), p, linearClassifierModel(weights, BIAS));
  server = await startInferenceServer({ models: [{ name: "kinds", modelPath: dir }], port: 0 });
  url = server.url;
});

afterAll(async () => {
  await server?.close();
  await fx?.cleanup();
});

describe("a model with preprocess.json", () => {
  it("advertises the raw feature inputs and a label output", async () => {
    const res = await get(`${url}/v2/models/kinds`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      inputs: [
        { name: "length", datatype: "FP32", shape: [-1] },
        { name: "color", datatype: "BYTES", shape: [-1] },
      ],
      outputs: [
        { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
        { name: "label", datatype: "BYTES", shape: [-1] },
      ],
    });
  });

  it("applies the training transforms to raw inputs, like the trainer does, and names the class", async () => {
    const columns = { length: [1.0, null, 9.5], color: ["blue", "green", "purple"] };
    const res = await post(`${url}/v2/models/kinds/infer`, {
      inputs: [
        { name: "length", shape: [3], datatype: "FP32", data: columns.length },
        { name: "color", shape: [3], datatype: "BYTES", data: columns.color },
      ],
    });
    expect(res.status).toBe(200);
    const outputs = (res.body as { outputs: Array<{ name: string; shape: number[]; data: unknown[] }> })
      .outputs;
    expect(outputs.map((o) => o.name)).toEqual(["probabilities", "label"]);
    const expected = softmaxRows(applyPreprocessor(p, columns, 3), p.outputWidth);
    const probs = outputs[0]!.data as number[];
    expected.flat().forEach((v, i) => expect(Math.abs(probs[i]! - v)).toBeLessThan(1e-5));
    const labels = expected.map((row) => p.labels[row.indexOf(Math.max(...row))]);
    expect(outputs[1]).toMatchObject({ name: "label", shape: [3], data: labels });
  });

  it("still accepts the model's own tensor input", async () => {
    const features = applyPreprocessor(p, { length: [2], color: ["red"] }, 1);
    const res = await post(`${url}/v2/models/kinds/infer`, {
      inputs: [{ name: "input", shape: [1, p.outputWidth], datatype: "FP32", data: [...features] }],
      outputs: [{ name: "label" }],
    });
    expect(res.status).toBe(200);
    const row = softmaxRows(features, p.outputWidth)[0]!;
    expect(res.body).toMatchObject({
      outputs: [{ name: "label", data: [p.labels[row.indexOf(Math.max(...row))]] }],
    });
  });

  const both = (length: unknown, color: unknown, lengthShape = [1], colorShape = [1]) => ({
    inputs: [
      { name: "length", shape: lengthShape, datatype: "FP32", data: length },
      { name: "color", shape: colorShape, datatype: "BYTES", data: color },
    ],
  });

  it.each([
    [
      "a missing feature",
      { inputs: [{ name: "length", shape: [1], datatype: "FP32", data: [1] }] },
      "input-missing-column",
      /'color' is missing/,
    ],
    [
      "an unknown feature",
      { inputs: [{ name: "size", shape: [1], datatype: "FP32", data: [1] }] },
      "input-unknown",
      /'size' is not an input.*'length', 'color'/,
    ],
    [
      "text in a numeric feature",
      both(["long"], ["red"]),
      "data-invalid",
      /'length': data\[0\] must be a number or null/,
    ],
    [
      "a number for a category",
      { inputs: [both([1], ["red"]).inputs[0], { name: "color", shape: [1], datatype: "FP32", data: [3] }] },
      "datatype-mismatch",
      /'color': datatype FP32 does not match the model's BYTES/,
    ],
    [
      "row counts that differ",
      both([1, 2], ["red"], [2], [1]),
      "shape-mismatch",
      /'color' has 1 rows but other inputs have 2/,
    ],
    ["a 2-D feature", both([1, 2], ["red", "blue"], [1, 2], [2]), "shape-mismatch", /must be \[n\]/],
  ])("rejects %s with 400 %s", async (_label, body, code, message) => {
    const res = await post(`${url}/v2/models/kinds/infer`, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code });
    expect((res.body as { error: string }).error).toMatch(message);
    expect((await post(`${url}/v2/models/kinds/infer`, both([1], ["red"]))).status).toBe(200);
  });

  it.each([
    [
      "was edited (hash mismatch)",
      () => ({ ...p, labels: ["x", "y", "z"] }),
      () => linearClassifierModel(weights, BIAS),
      "preprocess-invalid",
    ],
    [
      "does not fit the model's input width",
      () => p,
      () => linearClassifierModel([[1, 2, 3]], BIAS),
      "preprocess-mismatch",
    ],
  ])("refuses to load when preprocess.json %s", async (label, pre, model, code) => {
    const dir = await writeModelDir(join(fx.dir, label.replace(/\W+/g, "-")), pre(), model());
    const started = startInferenceServer({ models: [{ name: "bad", modelPath: dir }], port: 0 });
    await expect(started).rejects.toBeInstanceOf(ModelshipError);
    await expect(started).rejects.toMatchObject({ code });
  });
});
