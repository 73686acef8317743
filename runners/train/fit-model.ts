import type { TrainParams } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { shuffledIndices } from "../../core/data/split.ts";
import type { Tf } from "./select-backend.ts";

type Sequential = ReturnType<Tf["sequential"]>;
type Tensor = ReturnType<Tf["tensor"]>;

export type EpochLog = { epoch: number } & Record<string, number>;
export type FitResult = {
  epochs: EpochLog[];
  /** 1-based epoch whose weights the model holds at the end. */
  bestEpoch: number;
  stoppedEarly: boolean;
  fitMs: number;
  samplesSeen: number;
};

const RENAME: Record<string, string> = { acc: "accuracy", val_acc: "val_accuracy" };

function higherIsBetter(metric: string): boolean {
  return /acc|f1|r2|auc|precision|recall/.test(metric);
}

/**
 * Trains with a seeded reshuffle each epoch, validation after each epoch, and early stopping on
 * `params.earlyStopping.monitor` that restores the best epoch's weights.
 */
export async function fitModel(
  tf: Tf,
  model: Sequential,
  data: { xTrain: Tensor; yTrain: Tensor; xVal: Tensor; yVal: Tensor },
  params: TrainParams,
  onEpoch: (log: EpochLog) => void = () => undefined,
): Promise<FitResult> {
  const n = data.xTrain.shape[0] ?? 0;
  const es = params.earlyStopping;
  const monitor = es?.monitor ?? "val_loss";
  const better = higherIsBetter(monitor);
  let best = better ? -Infinity : Infinity;
  let bestEpoch = 0;
  let bestWeights: Tensor[] | undefined;
  let wait = 0;
  let stoppedEarly = false;
  const epochs: EpochLog[] = [];
  let fitMs = 0;
  try {
    for (let epoch = 0; epoch < params.epochs; epoch++) {
      const t0 = performance.now();
      const order = tf.tensor1d(shuffledIndices(n, params.seed * 100003 + epoch), "int32");
      const x = tf.gather(data.xTrain, order);
      const y = tf.gather(data.yTrain, order);
      order.dispose();
      let logs: Record<string, number>;
      try {
        const h = await model.fit(x, y, {
          epochs: epoch + 1,
          initialEpoch: epoch,
          batchSize: params.batchSize,
          shuffle: false,
          validationData: [data.xVal, data.yVal],
          verbose: 0,
        });
        // Training metrics first, then validation, whatever order tfjs reports them in.
        const entries = Object.entries(h.history).map(
          ([k, v]) => [RENAME[k] ?? k, Number(v.at(-1))] as const,
        );
        logs = Object.fromEntries([
          ...entries.filter(([k]) => !k.startsWith("val_")),
          ...entries.filter(([k]) => k.startsWith("val_")),
        ]);
      } finally {
        x.dispose();
        y.dispose();
      }
      fitMs += performance.now() - t0;
      const log: EpochLog = { epoch: epoch + 1, ...logs };
      epochs.push(log);
      onEpoch(log);

      const value = logs[monitor];
      if (value === undefined) {
        throw new ModelshipError({
          code: "early-stopping-monitor-unknown",
          message: `train.params.earlyStopping.monitor is '${monitor}', which training does not report`,
          hint: `Use one of: ${Object.keys(logs).join(", ")}.`,
        });
      }
      const minDelta = es?.minDelta ?? 0;
      const improved = better ? value > best + minDelta : value < best - minDelta;
      if (improved || bestEpoch === 0) {
        best = value;
        bestEpoch = epoch + 1;
        wait = 0;
        if (es) {
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = model.getWeights().map((w) => w.clone());
        }
      } else if (es) {
        wait++;
        if (wait > es.patience) {
          stoppedEarly = true;
          break;
        }
      }
    }
    if (es && bestWeights && bestEpoch !== epochs.length) model.setWeights(bestWeights);
    else if (!es) bestEpoch = epochs.length;
  } finally {
    bestWeights?.forEach((w) => w.dispose());
  }
  return { epochs, bestEpoch, stoppedEarly, fitMs, samplesSeen: n * epochs.length };
}
