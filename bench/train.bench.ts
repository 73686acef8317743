// Built-in trainer (fitModel: seeded reshuffle, per-epoch validation, early-stopping bookkeeping)
// against a plain tfjs model.fit of the same model, backend and data, in the same process.
// Run: npx node bench/train.bench.ts   (EPOCHS=40 by default)
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { TrainParamsSchema } from "../core/config/schema.ts";
import { splitTrainValidation } from "../core/data/split.ts";
import {
  applyPreprocessor,
  encodeTargets,
  fitPreprocessor,
  rowsToColumns,
} from "../core/features/preprocessor.ts";
import { buildModel } from "../runners/train/build-model.ts";
import { fitModel } from "../runners/train/fit-model.ts";
import { selectBackend } from "../runners/train/select-backend.ts";

const epochs = Number(process.env.EPOCHS ?? 40);
const features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island", "sex"];
const numeric = features.slice(0, 4);
const file = fileURLToPath(new URL("../examples/penguins/data/penguins.json", import.meta.url));
const rows = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>[];
const split = splitTrainValidation(rows.length, { validationSplit: 0.2, seed: 7 });
const train = split.train.map((i) => rows[i]!);
const val = split.validation.map((i) => rows[i]!);
const p = fitPreprocessor(train, {
  features,
  target: "species",
  task: "classification",
  transforms: [
    ...numeric.map((column) => ({ op: "impute" as const, column, strategy: "median" as const })),
    ...numeric.map((column) => ({ op: "standardize" as const, column })),
    { op: "impute", column: "sex", strategy: "constant", value: "unknown" },
    { op: "onehot", column: "sex" },
    { op: "onehot", column: "island" },
  ],
});
const params = TrainParamsSchema.parse({ layers: [{ units: 16 }], epochs, batchSize: 32, seed: 1 });

const { tf, backend } = await selectBackend();
const x = tf.tensor2d(applyPreprocessor(p, rowsToColumns(train, features), train.length), [
  train.length,
  p.outputWidth,
]);
const xv = tf.tensor2d(applyPreprocessor(p, rowsToColumns(val, features), val.length), [
  val.length,
  p.outputWidth,
]);
const y = tf.oneHot(tf.tensor1d(Int32Array.from(encodeTargets(p, train)), "int32"), 3).toFloat();
const yv = tf.oneHot(tf.tensor1d(Int32Array.from(encodeTargets(p, val)), "int32"), 3).toFloat();
const make = () =>
  buildModel(tf, { inputWidth: p.outputWidth, outputUnits: 3, task: "classification", params });

async function plain(n: number): Promise<number> {
  const m = make();
  const t0 = performance.now();
  await m.fit(x, y, {
    epochs: n,
    batchSize: params.batchSize,
    shuffle: true,
    validationData: [xv, yv],
    verbose: 0,
  });
  const ms = performance.now() - t0;
  m.dispose();
  return ms;
}
async function builtin(n: number): Promise<number> {
  const m = make();
  const t0 = performance.now();
  await fitModel(tf, m, { xTrain: x, yTrain: y, xVal: xv, yVal: yv }, { ...params, epochs: n });
  const ms = performance.now() - t0;
  m.dispose();
  return ms;
}

await plain(2);
await builtin(2);
// Alternate the order over several rounds so drift in machine load hits both sides alike.
const rounds = Number(process.env.ROUNDS ?? 3);
const plainRuns: number[] = [];
const builtinRuns: number[] = [];
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    plainRuns.push(await plain(epochs));
    builtinRuns.push(await builtin(epochs));
  } else {
    builtinRuns.push(await builtin(epochs));
    plainRuns.push(await plain(epochs));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const plainMs = median(plainRuns);
const builtinMs = median(builtinRuns);
const sps = (ms: number) => (train.length * epochs) / (ms / 1000);
console.log(
  `backend ${backend}, ${train.length} training rows, ${epochs} epochs, batch ${params.batchSize}, median of ${rounds} alternating rounds`,
);
console.log(`plain model.fit : ${sps(plainMs).toFixed(0)} samples/s (${plainMs.toFixed(0)} ms)`);
console.log(`built-in trainer: ${sps(builtinMs).toFixed(0)} samples/s (${builtinMs.toFixed(0)} ms)`);
console.log(`ratio built-in / plain: ${(sps(builtinMs) / sps(plainMs)).toFixed(3)} (target >= 0.9)`);
