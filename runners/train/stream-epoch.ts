import type { Row } from "../../adapters/data-sources/data-source.ts";
import type { Config } from "../../core/config/schema.ts";
import { evaluateClassification, evaluateRegression } from "../../core/data/evaluate.ts";
import { shuffleRowsBuffered } from "../../core/data/shuffle-buffer.ts";
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
import { readEncoded, unpack, type EncodedSide } from "./encoded-split.ts";
import type { StreamedData } from "./fit-model.ts";
import type { Tf } from "./select-backend.ts";
import { batchTensors, encodedTensors, growable } from "./stream-rows.ts";
import type { StreamingSet } from "./streaming-set.ts";

type Sequential = ReturnType<Tf["sequential"]>;
type Tensor = ReturnType<Tf["tensor"]>;

/** Rows per evaluation batch (as the in-memory path evaluates). */
const EVAL_BATCH = 1024;

/**
 * Training data as `fitModel` streams it: each epoch reads the encoded training rows through a
 * shuffle buffer seeded by (params.seed, epoch), trains in micro-batches of `batchSize` (one
 * optimizer step per `accumulateSteps` of them), then reads the encoded validation rows to
 * measure val_loss and the metric.
 */
export function streamedData(
  tf: Tf,
  set: StreamingSet,
  opts: { shuffleBuffer: number; seed: number },
): StreamedData {
  const { train } = set.encoded;
  return {
    trainRows: set.trainRows,
    async epoch(model, epoch, acc) {
      const batches = shuffleRowsBuffered(readEncoded(train), {
        stride: train.stride,
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
      for await (const packed of batches) {
        const { x, yRaw } = unpack(packed, train.stride);
        const t = encodedTensors(tf, set.p, x, yRaw);
        group.push({ x: t.x, y: t.y });
        if (group.length === acc.accumulateSteps) step();
      }
      if (group.length > 0) step();
      const val = await streamedPass(
        tf,
        model,
        set,
        set.encoded.validation,
        Math.max(acc.batchSize, EVAL_BATCH),
      );
      return epochLogs(acc.task, sums, val);
    },
  };
}

/**
 * Row-weighted compiled loss and metric over one encoded side, batch by batch; `onBatch` also
 * sees each batch's inputs and raw targets (the final evaluation predicts on them).
 */
async function streamedPass(
  tf: Tf,
  model: Sequential,
  set: StreamingSet,
  side: EncodedSide,
  size: number,
  onBatch?: (x: Tensor, yRaw: Float32Array) => Promise<void>,
): Promise<Sums> {
  const sums: Sums = { loss: 0, metric: 0, rows: 0 };
  for await (const packed of readEncoded(side, size)) {
    const { x: xs, yRaw } = unpack(packed, side.stride);
    const { x, y } = encodedTensors(tf, set.p, xs, yRaw);
    try {
      const r = await evaluateBatch(model, x, y, size);
      const n = yRaw.length;
      addSums(sums, { loss: r.loss * n, metric: r.metric * n, rows: n });
      await onBatch?.(x, yRaw);
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
 * bytes a row; val_loss from the same pass), train_loss streamed, and the same values for the
 * validation sample.
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
  const val = await streamedPass(tf, model, set, set.encoded.validation, EVAL_BATCH, async (x, yRaw) => {
    preds.push(await predict(x));
    truth.push(yRaw);
  });
  const task = classification
    ? evaluateClassification(preds.values(), truth.values(), p.labels.length)
    : evaluateRegression(preds.values(), truth.values());
  const train = await streamedPass(tf, model, set, set.encoded.train, EVAL_BATCH);
  const rows = set.validationSample;
  const s = batchTensors(tf, p, set.features, rows);
  try {
    return {
      metrics: {
        ...task,
        train_loss: train.loss / train.rows,
        val_loss: val.loss / val.rows,
      },
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
