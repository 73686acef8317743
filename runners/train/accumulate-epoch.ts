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

export type Sums = { loss: number; metric: number; rows: number };

export function addSums(into: Sums, add: Sums): void {
  into.loss += add.loss;
  into.metric += add.metric;
  into.rows += add.rows;
}

/** An epoch's logs from summed training and validation values, named as `model.fit` names them. */
export function epochLogs(task: AccumulateOptions["task"], train: Sums, val: Sums): Record<string, number> {
  const metricName = task === "classification" ? "accuracy" : "mae";
  return {
    loss: train.loss / train.rows,
    [metricName]: train.metric / train.rows,
    val_loss: val.loss / val.rows,
    [`val_${metricName}`]: val.metric / val.rows,
  };
}

export function trainableVariables(model: Sequential): ReturnType<Tf["variable"]>[] {
  return model.trainableWeights.map((w) => w.read() as ReturnType<Tf["variable"]>);
}

/**
 * One optimizer step over the micro-batches of a group: each micro-batch's gradient of its mean
 * loss weighs its share of the group's rows. Returns the row-weighted loss and metric sums.
 */
export function trainGroup(
  tf: Tf,
  model: Sequential,
  variables: ReturnType<Tf["variable"]>[],
  micro: ReadonlyArray<{ x: Tensor; y: Tensor }>,
  opts: AccumulateOptions,
): Sums {
  const groupRows = micro.reduce((a, b) => a + (b.x.shape[0] ?? 0), 0);
  const sums = { loss: 0, metric: 0, rows: groupRows };
  let summed: Record<string, Tensor> | undefined;
  for (const { x: xb, y: yb } of micro) {
    const rows = xb.shape[0] ?? 0;
    let metric = 0;
    const { value, grads } = tf.variableGrads(() => {
      const pred = model.apply(xb, { training: true }) as Tensor;
      metric = tf.tidy(() => batchMetric(tf, yb, pred, opts.task).dataSync()[0] ?? NaN);
      return sampleLoss(tf, yb, pred, opts).mean() as ReturnType<Tf["scalar"]>;
    }, variables);
    sums.loss += (value.dataSync()[0] ?? NaN) * rows;
    sums.metric += metric * rows;
    value.dispose();
    const share = rows / groupRows;
    const next: Record<string, Tensor> = {};
    for (const [name, grad] of Object.entries(grads)) {
      next[name] = tf.tidy(() => (summed?.[name] ? summed[name].add(grad.mul(share)) : grad.mul(share)));
      summed?.[name]?.dispose();
      grad.dispose();
    }
    summed = next;
  }
  if (summed) {
    model.optimizer.applyGradients(summed);
    Object.values(summed).forEach((t) => t.dispose());
  }
  return sums;
}

/** The compiled loss and metric on one batch (means), as `model.evaluate` reports them. */
export async function evaluateBatch(
  model: Sequential,
  x: Tensor,
  y: Tensor,
  batchSize: number,
): Promise<{ loss: number; metric: number }> {
  const r = model.evaluate(x, y, { batchSize });
  const [loss, metric] = await Promise.all(
    (Array.isArray(r) ? r : [r]).map(async (t) => {
      const v = (await t.data())[0] ?? NaN;
      t.dispose();
      return v;
    }),
  );
  return { loss: loss ?? NaN, metric: metric ?? NaN };
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
