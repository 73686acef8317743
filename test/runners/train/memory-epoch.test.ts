import { describe, expect, it } from "vitest";
import { TrainParamsSchema, type TrainParams } from "../../../core/config/schema.ts";
import { shuffledIndices } from "../../../core/data/split.ts";
import { buildModel } from "../../../runners/train/build-model.ts";
import { fitModel } from "../../../runners/train/fit-model.ts";
import { memoryPass, type MemoryData, type MemorySide } from "../../../runners/train/memory-epoch.ts";
import { selectBackend } from "../../../runners/train/select-backend.ts";
import { targetRows, targetsTensor } from "../../../runners/train/targets-tensor.ts";

const { tf } = await selectBackend();
type Model = ReturnType<typeof buildModel>;
type Task = "classification" | "regression";

const WIDTH = 3;

/** 150 training and 37 validation rows (uneven batches), 3 classes or a value. */
function side(rows: number, offset: number, task: Task): MemorySide {
  const x = new Float32Array(rows * WIDTH);
  const target = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < WIDTH; c++) x[r * WIDTH + c] = Math.sin((r + offset) * 1.3 + c * 0.7) * 2;
    const s = x[r * WIDTH]! + 0.5 * x[r * WIDTH + 1]!;
    target[r] = task === "classification" ? (s > 1 ? 2 : s > -1 ? 1 : 0) : s * 3 + 1;
  }
  return { rows, x, xWidth: WIDTH, ...targetRows(target, task === "classification", 3) };
}

function dataOf(task: Task): MemoryData {
  return { train: side(150, 0, task), validation: side(37, 1000, task) };
}

function build(task: Task, params: TrainParams): Model {
  const outputUnits = task === "classification" ? 3 : 1;
  return buildModel(tf, { inputWidth: WIDTH, outputUnits, task, params });
}

function weightsOf(model: Model): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

/** What training meant before rows were batched from arrays: tfjs `model.fit` over the seeded order. */
async function fitReference(task: Task, data: MemoryData, params: TrainParams, classWeights?: number[]) {
  const model = build(task, params);
  const t = data.train;
  const x = tf.tensor2d(t.x, [t.rows, t.xWidth]);
  const y = tf.tensor2d(t.y, [t.rows, t.yWidth]);
  const logs: Record<string, number>[] = [];
  try {
    for (let epoch = 0; epoch < params.epochs; epoch++) {
      const order = tf.tensor1d(shuffledIndices(t.rows, params.seed * 100003 + epoch), "int32");
      const [xs, ys] = [tf.gather(x, order), tf.gather(y, order)];
      const h = await model.fit(xs, ys, {
        epochs: epoch + 1,
        initialEpoch: epoch,
        batchSize: params.batchSize,
        shuffle: false,
        verbose: 0,
        ...(classWeights ? { classWeight: Object.fromEntries(classWeights.map((w, i) => [i, w])) } : {}),
      });
      logs.push(Object.fromEntries(Object.entries(h.history).map(([k, v]) => [k, Number(v.at(-1))])));
      tf.dispose([order, xs, ys]);
    }
    return { weights: weightsOf(model), logs };
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((w, i) => w.map((v, j) => Math.abs(v - b[i]![j]!))));
}

describe("in-memory epochs", () => {
  const cases: { name: string; task: Task; params: Record<string, unknown>; classWeights?: number[] }[] = [
    { name: "adam, classification", task: "classification", params: { batchSize: 32 } },
    {
      name: "sgd, dropout, class weights",
      task: "classification",
      params: { optimizer: "sgd", learningRate: 0.3, batchSize: 16, layers: [{ units: 6, dropout: 0.3 }] },
      classWeights: [2, 0.5, 1.5],
    },
    {
      name: "rmsprop, regression",
      task: "regression",
      params: { optimizer: "rmsprop", batchSize: 40, layers: [{ units: 5, activation: "tanh" }] },
    },
  ];
  it.each(cases)("train the weights model.fit trains on the same order: $name", async (c) => {
    const params = TrainParamsSchema.parse({ epochs: 3, learningRate: 0.05, seed: 4, ...c.params });
    const data = dataOf(c.task);
    const reference = await fitReference(c.task, data, params, c.classWeights);
    const model = build(c.task, params);
    try {
      const fit = await fitModel(
        tf,
        model,
        data,
        params,
        undefined,
        {},
        {
          task: c.task,
          ...(c.classWeights ? { classWeights: c.classWeights } : {}),
        },
      );
      expect(maxAbsDiff(weightsOf(model), reference.weights)).toBeLessThan(1e-6);
      const metric = c.task === "classification" ? "accuracy" : "mae";
      fit.epochs.forEach((e, i) => {
        const ref = reference.logs[i]!;
        expect(e.loss).toBeCloseTo(ref.loss!, 5);
        expect(e[metric]).toBeCloseTo(ref[c.task === "classification" ? "acc" : "mae"]!, 5);
      });
      expect(fit.samplesSeen).toBe(150 * 3);
    } finally {
      model.dispose();
    }
  });

  it("measure a side in batches as model.evaluate measures it whole, the last batch partial", async () => {
    const params = TrainParamsSchema.parse({ seed: 2 });
    const data = dataOf("classification");
    const model = build("classification", params);
    const v = data.validation;
    const x = tf.tensor2d(v.x, [v.rows, v.xWidth]);
    const y = tf.tensor2d(v.y, [v.rows, v.yWidth]);
    try {
      const firsts: number[] = [];
      const sums = await memoryPass(tf, model, v, 16, async (_x, first) => void firsts.push(first));
      const [loss, acc] = (model.evaluate(x, y, { batchSize: v.rows }) as ReturnType<typeof tf.tensor>[]).map(
        (t) => t.dataSync()[0]!,
      );
      expect(firsts).toEqual([0, 16, 32]);
      expect(sums.rows).toBe(37);
      expect(sums.loss / sums.rows).toBeCloseTo(loss!, 5);
      expect(sums.metric / sums.rows).toBeCloseTo(acc!, 5);
    } finally {
      model.dispose();
      tf.dispose([x, y]);
    }
  });
});

describe("targetRows", () => {
  it.each([
    { task: "classification", y: [2, 0, 1, 1], classes: 3 },
    { task: "regression", y: [0.5, -3, 7.25], classes: 1 },
  ])("holds the values targetsTensor makes: $task", ({ task, y, classes }) => {
    const values = Float32Array.from(y);
    const rows = targetRows(values, task === "classification", classes);
    const t = targetsTensor(tf, values, task === "classification", classes);
    try {
      expect(rows.yWidth).toBe(t.shape[1]);
      expect(Array.from(rows.y)).toEqual(Array.from(t.dataSync()));
    } finally {
      t.dispose();
    }
  });
});
