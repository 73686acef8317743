// A stand-in for `python train.py`: any program can train as long as it writes, under
// $MODELSHIP_OUTPUT_DIR, a metrics file, optionally a history, and an ONNX model.
// This one fits a linear regression y ~ x1 + x2 by gradient descent.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const out = process.env.MODELSHIP_OUTPUT_DIR;
if (!out) throw new Error("MODELSHIP_OUTPUT_DIR is not set; run me through `modelship train`");
const params = JSON.parse(process.env.MODELSHIP_PARAMS ?? "{}");
const epochs = params.epochs ?? 50;
const lr = params.learningRate ?? 0.01;

const rows = readFileSync(new URL("data.csv", import.meta.url), "utf8")
  .trim()
  .split("\n")
  .slice(1);
const data = rows
  .map((l) => l.split(","))
  .map(([x1, x2, , y]) => ({ x: [Number(x1), Number(x2)], y: Number(y) }));
const cut = Math.floor(data.length * 0.8);
const train = data.slice(0, cut);
const valid = data.slice(cut);

let w = [0, 0];
let b = 0;
const predict = (x) => w[0] * x[0] + w[1] * x[1] + b;
const mse = (set) => set.reduce((s, r) => s + (predict(r.x) - r.y) ** 2, 0) / set.length;
const history = [];
for (let epoch = 1; epoch <= epochs; epoch++) {
  const g = [0, 0, 0];
  for (const r of train) {
    const e = predict(r.x) - r.y;
    g[0] += (2 * e * r.x[0]) / train.length;
    g[1] += (2 * e * r.x[1]) / train.length;
    g[2] += (2 * e) / train.length;
  }
  w = [w[0] - lr * g[0], w[1] - lr * g[1]];
  b -= lr * g[2];
  history.push({ epoch, loss: mse(train), val_loss: mse(valid) });
}
console.log(
  `trained ${epochs} epochs: val_loss ${mse(valid).toFixed(4)} (run ${process.env.MODELSHIP_RUN_ID})`,
);

const mean = valid.reduce((s, r) => s + r.y, 0) / valid.length;
const ssTot = valid.reduce((s, r) => s + (r.y - mean) ** 2, 0);
const metrics = {
  validation: { rmse: Math.sqrt(mse(valid)), r2: 1 - (mse(valid) * valid.length) / ssTot },
  train: { rmse: Math.sqrt(mse(train)) },
  note: "nested metrics are flattened to validation.rmse, validation.r2, train.rmse",
};
writeFileSync(join(out, "metrics.json"), JSON.stringify(metrics, null, 2));
writeFileSync(join(out, "history.json"), JSON.stringify(history));

const f32 = (name, dims, values) => ({
  name,
  dims,
  dataType: 1,
  rawData: new Uint8Array(new Float32Array(values).buffer),
});
const info = (name, width) => ({
  name,
  type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "batch" }, { dimValue: width }] } } },
});
const model = onnx.ModelProto.encode(
  onnx.ModelProto.create({
    irVersion: 7,
    producerName: "command-trainer-example",
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "linear",
      node: [{ opType: "Gemm", input: ["input", "w", "b"], output: ["prediction"] }],
      initializer: [f32("w", [2, 1], w), f32("b", [1], [b])],
      input: [info("input", 2)],
      output: [info("prediction", 1)],
    },
  }),
).finish();
writeFileSync(join(out, "model.onnx"), model);
