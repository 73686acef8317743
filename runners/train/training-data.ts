import type { Row } from "../../adapters/data-sources/data-source.ts";
import type { Config } from "../../core/config/schema.ts";
import { evaluateClassification, evaluateRegression } from "../../core/data/evaluate.ts";
import { splitTrainValidation } from "../../core/data/split.ts";
import {
  applyPreprocessor,
  encodeTargets,
  fitPreprocessor,
  rowsToColumns,
  type FittedPreprocessor,
} from "../../core/features/preprocessor.ts";
import { scaleTargets, unscaleTargets } from "../../core/features/target-transform.ts";
import type { RunRecord } from "../../core/run/run-record.ts";
import type { StreamedData } from "./fit-model.ts";
import { loadData, runRecordData, type LoadedData } from "./load-data.ts";
import { EVAL_BATCH, memoryPass, type MemoryData, type MemorySide } from "./memory-epoch.ts";
import { resolveFeatures } from "./resolve-features.ts";
import type { Tf } from "./select-backend.ts";
import { evaluateStreamed, streamedData } from "./stream-epoch.ts";
import { openStreamingSet, type StreamingSet } from "./streaming-set.ts";
import { targetRows } from "./targets-tensor.ts";

type Sequential = ReturnType<Tf["sequential"]>;

/** The validation rows (all of them, or a sample when streaming) with what needs rows, not batches. */
export type ValidationSample = {
  rows: readonly Row[];
  /** Model inputs, row-major [rows, width]. */
  x: Float32Array;
  /** Targets as trained on (class indices, or scaled values), and in their own units. */
  yVal: Float32Array;
  yValRaw: Float32Array;
  /** Model outputs: probabilities, or predictions in the target's units. */
  pred: ArrayLike<number>;
};

/** The built-in trainer's data, held in memory or streamed from the snapshot. */
export type TrainingData = {
  mode: "memory" | "streaming";
  p: FittedPreprocessor;
  features: string[];
  trainRows: number;
  validationRows: number;
  fingerprint: string;
  recordData: RunRecord["data"];
  /** Training class indices, for class weights. */
  trainTargets(): ArrayLike<number>;
  fitData: MemoryData | StreamedData;
  /** Final metrics (on every validation row) and the validation sample. */
  evaluate(model: Sequential): Promise<{ metrics: Record<string, number>; sample: ValidationSample }>;
  /** Training rows the drift reference profile is built from (all, or a sample when streaming). */
  profileRows: readonly Row[];
  dispose(): void;
};

type Mark = <T>(name: string, f: () => Promise<T> | T) => Promise<T>;

/** `data.streaming.enabled` picks the streaming path; otherwise every row is loaded into memory. */
export async function openTrainingData(opts: {
  tf: Tf;
  config: Config;
  repoDir: string;
  seed: number;
  mark: Mark;
  /** The rows already read (to validate them before training), so they are not read twice. */
  loaded?: LoadedData;
  /** Streaming: the set already opened (its pass ran the suite before training), so it is read once. */
  streamed?: StreamingSet;
}): Promise<TrainingData> {
  const { tf, config } = opts;
  if (!config.data.streaming.enabled) return inMemoryData(opts);
  const set =
    opts.streamed ??
    (await openStreamingSet({ config, repoDir: opts.repoDir, env: process.env, mark: opts.mark }));
  return {
    mode: "streaming",
    p: set.p,
    features: set.features,
    trainRows: set.trainRows,
    validationRows: set.validationRows,
    fingerprint: set.snapshot.version,
    recordData: set.recordData,
    trainTargets: set.trainTargets,
    fitData: streamedData(tf, set, { shuffleBuffer: config.data.streaming.shuffleBuffer, seed: opts.seed }),
    evaluate: (model) => evaluateStreamed(tf, model, set, config),
    profileRows: set.trainSample,
    dispose: () => set.encoded.remove(),
  };
}

async function inMemoryData(opts: {
  tf: Tf;
  config: Config;
  repoDir: string;
  mark: Mark;
  loaded?: LoadedData;
}): Promise<TrainingData> {
  const { tf, config, mark } = opts;
  const data = await mark(
    "loadMs",
    async () => opts.loaded ?? (await loadData({ repoDir: opts.repoDir, data: config.data })),
  );
  const features = resolveFeatures(config, data);
  const split = splitTrainValidation(data.rows.length, {
    validationSplit: config.data.validationSplit,
    seed: config.data.seed,
  });
  const trainRows = split.train.map((i) => data.rows[i]!);
  const valRows = split.validation.map((i) => data.rows[i]!);
  const prep = await mark("preprocessMs", () => {
    const p = fitPreprocessor(trainRows, {
      features,
      target: config.model.target,
      task: config.model.task,
      transforms: config.data.transforms,
      targetStandardize: config.data.target.standardize,
    });
    return {
      p,
      xTrain: applyPreprocessor(p, rowsToColumns(trainRows, features), trainRows.length),
      xVal: applyPreprocessor(p, rowsToColumns(valRows, features), valRows.length),
      yTrain: scaleTargets(p.targetTransform, encodeTargets(p, trainRows)),
      yVal: scaleTargets(p.targetTransform, encodeTargets(p, valRows)),
      yValRaw: encodeTargets(p, valRows),
    };
  });
  const { p } = prep;
  const classification = config.model.task === "classification";
  const outputUnits = classification ? p.labels.length : 1;
  const side = (x: Float32Array, y: Float32Array): MemorySide => ({
    rows: y.length,
    x,
    xWidth: p.outputWidth,
    ...targetRows(y, classification, outputUnits),
  });
  const memory: MemoryData = {
    train: side(prep.xTrain, prep.yTrain),
    validation: side(prep.xVal, prep.yVal),
  };
  const evaluate = async (model: Sequential) => {
    const predVal = new Float32Array(valRows.length * outputUnits);
    const val = await memoryPass(tf, model, memory.validation, EVAL_BATCH, async (x, first) => {
      const out = model.predict(x) as ReturnType<Tf["tensor"]>;
      predVal.set(await out.data(), first * outputUnits);
      out.dispose();
    });
    // Regression predictions back in the target's own units: metrics and parity are in those units.
    const valPred = classification ? predVal : unscaleTargets(p.targetTransform, predVal);
    const train = await memoryPass(tf, model, memory.train, EVAL_BATCH);
    const task = classification
      ? evaluateClassification(valPred, prep.yVal, outputUnits)
      : evaluateRegression(valPred, prep.yValRaw);
    return {
      metrics: { ...task, train_loss: train.loss / train.rows, val_loss: val.loss / val.rows } as Record<
        string,
        number
      >,
      sample: { rows: valRows, x: prep.xVal, yVal: prep.yVal, yValRaw: prep.yValRaw, pred: valPred },
    };
  };
  return {
    mode: "memory",
    p,
    features,
    trainRows: trainRows.length,
    validationRows: valRows.length,
    fingerprint: data.fingerprint,
    recordData: runRecordData(data),
    trainTargets: () => prep.yTrain,
    fitData: memory,
    evaluate,
    profileRows: trainRows,
    // Only the batch being trained is ever a tensor.
    dispose: () => undefined,
  };
}
