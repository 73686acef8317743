import type { Row } from "../../adapters/data-sources/data-source.ts";
import type { Config } from "../../core/config/schema.ts";
import { evaluateClassification, evaluateRegression } from "../../core/data/evaluate.ts";
import { shuffleBuffered } from "../../core/data/shuffle-buffer.ts";
import { mulberry32 } from "../../core/data/split.ts";
import { scaleTargets, unscaleTargets } from "../../core/features/target-transform.ts";
import {
  addSums,
  epochLogs,
  evaluateBatch,
  trainableVariables,
  trainGroup,
  type Sums,
} from "./accumulate-epoch.ts";
import type { StreamedData } from "./fit-model.ts";
import type { Tf } from "./select-backend.ts";
import { batchTensors, growable, rebatch, splitRows } from "./stream-rows.ts";
import type { StreamingSet } from "./streaming-set.ts";

type Sequential = ReturnType<Tf["sequential"]>;
type Tensor = ReturnType<Tf["tensor"]>;

/** Rows per evaluation batch (as the in-memory path evaluates). */
const EVAL_BATCH = 1024;

/**
 * Training data as `fitModel` streams it: each epoch reads the training rows of the snapshot
 * through a shuffle buffer seeded by (params.seed, epoch), trains in micro-batches of
 * `batchSize` (one optimizer step per `accumulateSteps` of them), then streams the validation
 * rows to measure val_loss and the metric.
 */
export function streamedData(
  tf: Tf,
  set: StreamingSet,
  opts: { shuffleBuffer: number; seed: number },
): StreamedData {
  return {
    trainRows: set.trainRows,
    async epoch(model, epoch, acc) {
      const batches = shuffleBuffered(splitRows(set.dir, set.split, "train"), {
        size: opts.shuffleBuffer,
        batchSize: acc.batchSize,
        rand: mulberry32(opts.seed * 100003 + epoch),
      });
      const variables = trainableVariables(model);
      const sums: Sums = { loss: 0, metric: 0, rows: 0 };
      let group: Array<{ x: Tensor; y: Tensor }> = [];
      const step = () => {
        try {
          addSums(sums, trainGroup(tf, model, variables, group, acc));
        } finally {
          group.forEach((b) => (b.x.dispose(), b.y.dispose()));
          group = [];
        }
      };
      for await (const rows of batches) {
        const { x, y } = batchTensors(tf, set.p, set.features, rows);
        group.push({ x, y });
        if (group.length === acc.accumulateSteps) step();
      }
      if (group.length > 0) step();
      return epochLogs(acc.task, sums, await streamedLoss(tf, model, set, "validation", acc.batchSize));
    },
  };
}

/** Row-weighted compiled loss and metric over one side of the split, batch by batch. */
async function streamedLoss(
  tf: Tf,
  model: Sequential,
  set: StreamingSet,
  side: "train" | "validation",
  batchSize: number,
): Promise<Sums> {
  const size = Math.max(batchSize, EVAL_BATCH);
  const sums: Sums = { loss: 0, metric: 0, rows: 0 };
  for await (const rows of rebatch(splitRows(set.dir, set.split, side), size)) {
    const { x, y } = batchTensors(tf, set.p, set.features, rows);
    try {
      const r = await evaluateBatch(model, x, y, size);
      addSums(sums, { loss: r.loss * rows.length, metric: r.metric * rows.length, rows: rows.length });
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  return sums;
}

export type StreamedEvaluation = {
  metrics: Record<string, number>;
  /** The validation sample, with what parity, explanation and plots need of it. */
  sample: {
    rows: Row[];
    x: Float32Array;
    yVal: Float32Array;
    yValRaw: Float32Array;
    pred: ArrayLike<number>;
  };
};

/**
 * The final metrics on every validation row (predictions are collected as typed arrays, a few
 * bytes a row), train_loss and val_loss streamed, and the same values for the validation sample.
 */
export async function evaluateStreamed(
  tf: Tf,
  model: Sequential,
  set: StreamingSet,
  config: Config,
): Promise<StreamedEvaluation> {
  const { p } = set;
  const classification = config.model.task === "classification";
  const predict = async (x: Tensor): Promise<ArrayLike<number>> => {
    const out = model.predict(x) as Tensor;
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return classification ? values : unscaleTargets(p.targetTransform, values);
  };
  const preds = classification ? growable((n) => new Float32Array(n)) : growable((n) => new Float64Array(n));
  const truth = growable((n) => new Float32Array(n));
  for await (const rows of rebatch(splitRows(set.dir, set.split, "validation"), EVAL_BATCH)) {
    const { x, y, yRaw } = batchTensors(tf, p, set.features, rows);
    try {
      preds.push(await predict(x));
      truth.push(yRaw);
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  const task = classification
    ? evaluateClassification(preds.values(), truth.values(), p.labels.length)
    : evaluateRegression(preds.values(), truth.values());
  const train = await streamedLoss(tf, model, set, "train", EVAL_BATCH);
  const val = await streamedLoss(tf, model, set, "validation", EVAL_BATCH);
  const rows = set.validationSample;
  const s = batchTensors(tf, p, set.features, rows);
  try {
    return {
      metrics: { ...task, train_loss: train.loss / train.rows, val_loss: val.loss / val.rows },
      sample: {
        rows,
        x: (await s.x.data()) as Float32Array,
        yVal: scaleTargets(p.targetTransform, s.yRaw),
        yValRaw: s.yRaw,
        pred: await predict(s.x),
      },
    };
  } finally {
    s.x.dispose();
    s.y.dispose();
  }
}
