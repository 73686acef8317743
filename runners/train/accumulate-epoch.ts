import type { Tf } from "./select-backend.ts";

type Sequential = ReturnType<Tf["sequential"]>;
type Tensor = ReturnType<Tf["tensor"]>;

export type AccumulateOptions = {
  batchSize: number;
  accumulateSteps: number;
  task: "classification" | "regression";
  /** Loss weight of each class index (classification only). */
  classWeights?: readonly number[];
};

/**
 * One epoch in micro-batches of `batchSize` rows, applying the optimizer once per
 * `accumulateSteps` micro-batches with the gradient of the whole group's mean loss: each
 * micro-batch's gradient weighs its share of the group's rows, so a group trains exactly like
 * one batch of batchSize × accumulateSteps rows while holding the activations of one micro-batch.
 * Rows are taken in the order given (the caller shuffles). Returns the epoch's training and
 * validation logs, named as `model.fit` names them.
 */
export async function accumulateEpoch(
  tf: Tf,
  model: Sequential,
  data: { x: Tensor; y: Tensor; xVal: Tensor; yVal: Tensor },
  opts: AccumulateOptions,
): Promise<Record<string, number>> {
  const n = data.x.shape[0] ?? 0;
  const group = opts.batchSize * opts.accumulateSteps;
  const variables = model.trainableWeights.map((w) => w.read() as ReturnType<Tf["variable"]>);
  const metricName = opts.task === "classification" ? "accuracy" : "mae";
  let lossSum = 0;
  let metricSum = 0;
  for (let g0 = 0; g0 < n; g0 += group) {
    const groupRows = Math.min(group, n - g0);
    let summed: Record<string, Tensor> | undefined;
    for (let b0 = g0; b0 < g0 + groupRows; b0 += opts.batchSize) {
      const rows = Math.min(opts.batchSize, g0 + groupRows - b0);
      const xb = data.x.slice([b0, 0], [rows, -1]);
      const yb = data.y.slice([b0, 0], [rows, -1]);
      try {
        let metric = 0;
        const { value, grads } = tf.variableGrads(() => {
          const pred = model.apply(xb, { training: true }) as Tensor;
          metric = tf.tidy(() => batchMetric(tf, yb, pred, opts.task).dataSync()[0] ?? NaN);
          return sampleLoss(tf, yb, pred, opts).mean() as ReturnType<Tf["scalar"]>;
        }, variables);
        lossSum += (value.dataSync()[0] ?? NaN) * rows;
        metricSum += metric * rows;
        value.dispose();
        const share = rows / groupRows;
        const next: Record<string, Tensor> = {};
        for (const [name, grad] of Object.entries(grads)) {
          next[name] = tf.tidy(() => (summed?.[name] ? summed[name].add(grad.mul(share)) : grad.mul(share)));
          summed?.[name]?.dispose();
          grad.dispose();
        }
        summed = next;
      } finally {
        xb.dispose();
        yb.dispose();
      }
    }
    if (summed) {
      model.optimizer.applyGradients(summed);
      Object.values(summed).forEach((t) => t.dispose());
    }
  }
  const val = model.evaluate(data.xVal, data.yVal, { batchSize: Math.max(opts.batchSize, 1024) });
  const [valLoss, valMetric] = await Promise.all(
    (Array.isArray(val) ? val : [val]).map(async (t) => {
      const v = (await t.data())[0] ?? NaN;
      t.dispose();
      return v;
    }),
  );
  return {
    loss: lossSum / n,
    [metricName]: metricSum / n,
    val_loss: valLoss ?? NaN,
    [`val_${metricName}`]: valMetric ?? NaN,
  };
}

/** Per-row loss as the compiled model computes it (cross-entropy or squared error), class-weighted. */
function sampleLoss(tf: Tf, y: Tensor, pred: Tensor, opts: AccumulateOptions): Tensor {
  if (opts.task === "regression") return tf.metrics.meanSquaredError(y, pred);
  const loss = tf.metrics.categoricalCrossentropy(y, pred);
  if (!opts.classWeights) return loss;
  const w = tf.tensor1d(Float32Array.from(opts.classWeights));
  return loss.mul(y.matMul(w.reshape([-1, 1])).reshape([-1]));
}

function batchMetric(tf: Tf, y: Tensor, pred: Tensor, task: AccumulateOptions["task"]): Tensor {
  if (task === "regression") return tf.metrics.meanAbsoluteError(y, pred).mean();
  return tf.metrics.categoricalAccuracy(y, pred).mean();
}
