import type { TrainParams } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { higherIsBetter, learningRateAt } from "../../core/training/learning-rate-at.ts";
import type { AccumulateOptions } from "./accumulate-epoch.ts";
import { memoryEpochs, memoryOfTensors, type MemoryData } from "./memory-epoch.ts";
import type { Tf } from "./select-backend.ts";

type Sequential = ReturnType<Tf["sequential"]>;
type Tensor = ReturnType<Tf["tensor"]>;

export type EpochLog = { epoch: number } & Record<string, number>;
export type FitResult = {
  epochs: EpochLog[];
  /** 1-based epoch whose weights the model holds at the end. */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Training time in this process (a resumed run does not count the epochs it restored). */
  fitMs: number;
  /** Training rows seen in this process. */
  samplesSeen: number;
  /** Time spent capturing and saving checkpoints (not part of fitMs). */
  checkpointMs: number;
  /** The last epoch restored from `resume`, when there was one. */
  resumedFromEpoch?: number;
  /** `shouldStop` ended training after this epoch (a sweep's pruner). */
  prunedAtEpoch?: number;
};

export type FitControl = {
  /** Asked after every epoch (checkpoint written); true ends training there. */
  shouldStop?: (log: EpochLog) => boolean | Promise<boolean>;
  /** Classification: loss weight of each class index. */
  classWeights?: readonly number[];
  /** The loss and metric trained on; default: read from the compiled model (see `buildModel`). */
  task?: "classification" | "regression";
};

/** A tensor's values, detached from tfjs, as a checkpoint stores them. */
export type NamedArray = {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  data: Float32Array | Int32Array;
};

export type EarlyStoppingState = {
  /** Best monitored value so far (may be NaN when training diverged). */
  best: number;
  /** 1-based epoch of `best`; 0 before the first epoch. */
  bestEpoch: number;
  /** Epochs since the last improvement. */
  wait: number;
  stoppedEarly: boolean;
};

/** Everything needed to continue training exactly where it stopped, after `epoch` epochs. */
export type FitState = {
  epoch: number;
  history: EpochLog[];
  earlyStopping: EarlyStoppingState;
  weights: NamedArray[];
  /** `model.optimizer.getWeights()`: the iteration count, then e.g. Adam's moments. */
  optimizer: NamedArray[];
  /**
   * Optimizer variables `getWeights()` leaves out: Adam's running powers of beta1/beta2, which
   * `setWeights()` would recompute as pow(beta, t) and so differ in the last bits.
   */
  optimizerExtra: NamedArray[];
  /** With early stopping: the best epoch's weights. */
  bestWeights?: NamedArray[];
};

export type FitCheckpointing = {
  /** State to continue from (already checked against this model by the caller). */
  resume?: FitState;
  /** Called after every epoch, once the early-stopping state is updated; awaited. */
  save?: (state: FitState) => Promise<void>;
};

/** Training data held as tensors: every row in memory (read into arrays once, then as MemoryData). */
export type TensorData = { xTrain: Tensor; yTrain: Tensor; xVal: Tensor; yVal: Tensor };

/**
 * Training data trained one epoch at a time, batch by batch (streamed from the encoded split,
 * or cut from rows in memory): one epoch is one pass, then a validation pass.
 */
export type StreamedData = {
  /** Training rows per epoch. */
  trainRows: number;
  /** Trains one epoch (seeded by `epoch`) and returns its logs, as `epochLogs` names them. */
  epoch(model: Sequential, epoch: number, opts: AccumulateOptions): Promise<Record<string, number>>;
};

/**
 * Trains with a seeded reshuffle each epoch, validation after each epoch, and early stopping on
 * `params.earlyStopping.monitor` that restores the best epoch's weights. Each epoch's learning
 * rate follows `params.lrSchedule`; `params.accumulateSteps` > 1 trains in accumulated micro-batches.
 */
export async function fitModel(
  tf: Tf,
  model: Sequential,
  data: TensorData | MemoryData | StreamedData,
  params: TrainParams,
  onEpoch: (log: EpochLog) => void = () => undefined,
  checkpointing: FitCheckpointing = {},
  control: FitControl = {},
): Promise<FitResult> {
  const batched =
    "epoch" in data
      ? data
      : memoryEpochs(tf, "xTrain" in data ? await memoryOfTensors(data) : data, params.seed);
  const n = batched.trainRows;
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
  let checkpointMs = 0;
  let firstEpoch = 0;
  let prunedAtEpoch: number | undefined;
  const resume = checkpointing.resume;
  try {
    if (resume) {
      await restoreState(tf, model, resume);
      epochs.push(...resume.history.map((h) => ({ ...h })));
      ({ best, bestEpoch, wait, stoppedEarly } = resume.earlyStopping);
      if (es && resume.bestWeights) bestWeights = resume.bestWeights.map((w) => toTensor(tf, w));
      firstEpoch = resume.epoch;
    }
    for (let epoch = firstEpoch; epoch < params.epochs && !stoppedEarly; epoch++) {
      const t0 = performance.now();
      const lr = learningRateAt({
        base: params.learningRate,
        schedule: params.lrSchedule,
        epoch,
        epochs: params.epochs,
        history: epochs,
      });
      if (params.lrSchedule) setLearningRate(model, lr);
      const accumulate: AccumulateOptions = {
        batchSize: params.batchSize,
        accumulateSteps: params.accumulateSteps ?? 1,
        task: control.task ?? taskOf(model),
        ...(control.classWeights ? { classWeights: control.classWeights } : {}),
      };
      const logs = await batched.epoch(model, epoch, accumulate);
      fitMs += performance.now() - t0;
      const log: EpochLog = { epoch: epoch + 1, ...logs, ...(params.lrSchedule ? { lr } : {}) };
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
        if (wait > es.patience) stoppedEarly = true;
      }
      if (checkpointing.save) {
        const t1 = performance.now();
        const es = { best, bestEpoch, wait, stoppedEarly };
        await checkpointing.save(await captureState(tf, model, epochs, es, bestWeights));
        checkpointMs += performance.now() - t1;
      }
      if (!stoppedEarly && epoch + 1 < params.epochs && (await control.shouldStop?.(log))) {
        prunedAtEpoch = epoch + 1;
        break;
      }
    }
    if (es && bestWeights && bestEpoch !== epochs.length) model.setWeights(bestWeights);
    else if (!es) bestEpoch = epochs.length;
  } finally {
    bestWeights?.forEach((w) => w.dispose());
  }
  return {
    epochs,
    bestEpoch,
    stoppedEarly,
    fitMs,
    samplesSeen: n * (epochs.length - firstEpoch),
    checkpointMs,
    ...(resume ? { resumedFromEpoch: resume.epoch } : {}),
    ...(prunedAtEpoch !== undefined ? { prunedAtEpoch } : {}),
  };
}

/** `buildModel` compiles regression with mean squared error, classification with cross-entropy. */
function taskOf(model: Sequential): "classification" | "regression" {
  return model.loss === "meanSquaredError" ? "regression" : "classification";
}

/** SGD keeps its rate in a tensor behind `setLearningRate`; the others read a field per step. */
function setLearningRate(model: Sequential, lr: number): void {
  const opt = model.optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof opt.setLearningRate === "function") opt.setLearningRate(lr);
  else opt.learningRate = lr;
}

async function toArray(name: string, t: Tensor): Promise<NamedArray> {
  const dtype = t.dtype === "int32" ? "int32" : "float32";
  const values = await t.data();
  const data = dtype === "int32" ? Int32Array.from(values) : Float32Array.from(values);
  return { name, shape: [...t.shape], dtype, data };
}

function toTensor(tf: Tf, a: NamedArray): Tensor {
  return tf.tensor(a.data, a.shape, a.dtype);
}

/** Copies the model's weights, its optimizer's state and the early-stopping state out of tfjs. */
export async function captureState(
  tf: Tf,
  model: Sequential,
  history: EpochLog[],
  earlyStopping: EarlyStoppingState,
  bestWeights: Tensor[] | undefined,
): Promise<FitState> {
  const names = model.weights.map((w) => w.originalName);
  const weights = await Promise.all(model.getWeights().map((w, i) => toArray(names[i] ?? `w${i}`, w)));
  const optimizer: NamedArray[] = [];
  const optimizerExtra: NamedArray[] = [];
  for (const [name, v] of optimizerVariables(model)) optimizerExtra.push(await toArray(name, v));
  for (const { name, tensor } of await model.optimizer.getWeights()) {
    optimizer.push(await toArray(name, tensor));
    // The moments are the optimizer's own variables; only the iteration scalar is a fresh tensor.
    if (!isVariable(tensor)) tensor.dispose();
  }
  return {
    epoch: history.length,
    history: history.map((h) => ({ ...h })),
    earlyStopping: { ...earlyStopping },
    weights,
    optimizer,
    optimizerExtra,
    ...(bestWeights
      ? { bestWeights: await Promise.all(bestWeights.map((w, i) => toArray(names[i] ?? `w${i}`, w))) }
      : {}),
  };
}

const EXTRA_OPTIMIZER_VARIABLES = ["accBeta1", "accBeta2"] as const;

type Variable = ReturnType<Tf["variable"]>;

/** Duck-typed: a native backend package may carry its own copy of tfjs-core's Variable class. */
function isVariable(t: unknown): t is Variable {
  return (
    typeof t === "object" &&
    t !== null &&
    typeof (t as { assign?: unknown }).assign === "function" &&
    typeof (t as { trainable?: unknown }).trainable === "boolean"
  );
}

function optimizerVariables(model: Sequential): [string, Variable][] {
  const opt = model.optimizer as unknown as Record<string, unknown>;
  return EXTRA_OPTIMIZER_VARIABLES.flatMap((name) => {
    const v = opt[name];
    return isVariable(v) ? [[name, v] as [string, Variable]] : [];
  });
}

async function restoreState(tf: Tf, model: Sequential, state: FitState): Promise<void> {
  const weights = state.weights.map((w) => toTensor(tf, w));
  const optimizer = state.optimizer.map((w) => ({ name: w.name, tensor: toTensor(tf, w) }));
  try {
    model.setWeights(weights);
    await model.optimizer.setWeights(optimizer);
    const own = new Map(optimizerVariables(model));
    for (const extra of state.optimizerExtra) {
      const v = own.get(extra.name);
      if (!v || v.shape.length !== extra.shape.length) continue;
      const t = toTensor(tf, extra);
      v.assign(t);
      t.dispose();
    }
  } finally {
    weights.forEach((w) => w.dispose());
    optimizer.forEach((w) => w.tensor.dispose());
  }
}
