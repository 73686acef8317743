import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { TrainParamsSchema, type Config, type TrainParams } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { rawInputSignature, type FittedPreprocessor } from "../../core/features/preprocessor.ts";
import { renderModelCard } from "../../core/report/render-model-card.ts";
import type { Explanation } from "../../core/explain/permutation-importance.ts";
import type { ValidationPredictions } from "../../core/run/validation-predictions.ts";
import { explainBuiltin, runCardExtras } from "./explain-run.ts";
import { writeTrainingPlots } from "./write-training-plots.ts";
import { createReferenceProfile } from "../../core/monitoring/create-reference-profile.ts";
import type { ReferenceProfile } from "../../core/monitoring/reference-profile.ts";
import type { History, RunRecord } from "../../core/run/run-record.ts";
import { buildModel } from "./build-model.ts";
import { openCheckpointStore, type CheckpointStore } from "./checkpoint.ts";
import { targetAffine } from "../../core/features/target-transform.ts";
import { checkParity, describeParityFailure } from "./check-parity.ts";
import { codeRevision } from "./code-revision.ts";
import { exportOnnx, onnxOutputName, type DenseWeights } from "./export-onnx.ts";
import { fitModel, type FitControl, type FitState } from "./fit-model.ts";
import { classWeightControl, recordedClassWeights } from "./class-weight-control.ts";
import { loadData, runRecordData, type LoadedData } from "./load-data.ts";
import { resolveFeatures } from "./resolve-features.ts";
import { openTrainingData } from "./training-data.ts";
import { openStreamingSet, type StreamingSet } from "./streaming-set.ts";
import {
  checkDataBeforeTraining,
  configLocations,
  writeValidationReport,
} from "../../adapters/data-validation/validate-data.ts";
import { validationRowsOf } from "../../adapters/data-validation/read-validation-rows.ts";
import { createProgress, type ProgressMode } from "./progress.ts";
import { runCommand } from "./run-command.ts";
import { scanCommandData, type CommandData } from "./command-data.ts";
import { selectBackend, type Tf } from "./select-backend.ts";
import {
  createStagingDir,
  pickReferenceRows,
  removeStagingDir,
  writeRunDir,
  type ReferenceRowsFile,
} from "./write-run-dir.ts";

export type TrainRunOptions = {
  config: Config;
  repoDir: string;
  runsDir: string;
  runId?: string;
  params?: Partial<TrainParams> | Record<string, unknown>;
  progress?: ProgressMode;
  now?: () => Date;
  /** Overrides `train.parity`: |onnxruntime − tfjs| ≤ atol + rtol · |tfjs| on every held-out output. */
  parity?: { rtol?: number; atol?: number };
  /**
   * Built-in trainer: write a checkpoint here after every epoch and resume from the one found
   * (`<dir>/<model name>/`). A `train.command` program gets it as MODELSHIP_CHECKPOINT_DIR.
   */
  checkpointDir?: string;
  /** Checkpoint notices (resumed, ignored); default: stderr, even when progress is silent. */
  log?: (line: string) => void;
  /** The config file, so the run's validation.json points each expectation at its line. */
  configFile?: string;
  /** How validation.json names the config file (default: configFile). */
  configLabel?: string;
  /**
   * Draw the run's plots (plots/*.svg, *.png) and embed them in the card. Default true; sweeps
   * and benchmarks turn it off, since drawing takes about a second per chart.
   */
  plots?: boolean;
  /**
   * Built-in trainer: measure permutation importance on the validation split (explanation.json).
   * Default true; sweep trials turn it off, since it predicts the whole split once per feature
   * and repeat.
   */
  explain?: boolean;
  /** Built-in trainer: asked after each epoch; true stops training there (a sweep's pruner). */
  shouldStop?: FitControl["shouldStop"];
};

export type TrainRunResult = { runDir: string; record: RunRecord };

/**
 * Trains one model (built-in tfjs MLP or `train.command`) and writes a complete run directory.
 * A run whose ONNX export disagrees with tfjs is still written, marked failed, and then thrown.
 */
export async function trainRun(opts: TrainRunOptions): Promise<TrainRunResult> {
  const now = opts.now ?? (() => new Date());
  const started = now();
  const runId = opts.runId ?? defaultRunId(started);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) {
    throw new ModelshipError({
      code: "run-id-invalid",
      message: `run id '${runId}' is not usable as a directory name`,
      hint: "Use letters, digits, '.', '_' or '-' (at most 128 characters).",
    });
  }
  await refuseTakenRunId(opts.runsDir, runId);
  const params = mergeParams(opts.config.train.params, opts.params ?? {});
  // data.expectations run before any training: a failed suite leaves no run directory behind.
  // Held in memory anyway, the rows are read once: validated, then trained on. Streamed, the
  // sources are read once into the snapshot, whose one pass runs the suite and fits the transforms
  // (or, for train.command, runs the suite and samples the drift profile).
  const early = await openStreamedForTraining(opts);
  const commandData = await scanStreamedForCommand(opts);
  const loaded = early ? undefined : await loadForValidation(opts);
  const validation = early
    ? early.set.validation
    : commandData
      ? commandData.validation
      : await checkDataBeforeTraining({
          config: opts.config,
          repoDir: opts.repoDir,
          env: process.env,
          ...(loaded === undefined ? {} : { readRows: async () => validationRowsOf(loaded) }),
          ...(opts.configFile
            ? { configFile: opts.configFile, configLabel: opts.configLabel ?? opts.configFile }
            : {}),
        });
  const staging = await createStagingDir(opts.runsDir, runId).catch((err: unknown) => {
    early?.set.encoded.remove();
    throw err;
  });
  try {
    if (validation) await writeValidationReport(staging, validation);
    const ctx = {
      ...opts,
      runId,
      params,
      staging,
      now,
      started,
      ...(loaded === undefined ? {} : { loaded }),
      ...(commandData === undefined ? {} : { commandData }),
      ...(early === undefined ? {} : { streamed: early.set, earlyTimings: early.timings }),
    };
    const built = opts.config.train.command ? await trainWithCommand(ctx) : await trainBuiltin(ctx);
    const record = built.record;
    const plots =
      opts.plots === false
        ? []
        : await writeTrainingPlots({
            staging,
            runId,
            ...built,
            log: opts.log ?? ((line: string) => void process.stderr.write(`${line}\n`)),
          });
    const card = renderModelCard(record, runCardExtras(record, built.explanation, plots));
    const runDir = await writeRunDir({
      runsDir: opts.runsDir,
      runId,
      stagingDir: staging,
      contents: {
        record,
        metrics: record.metrics,
        ...(built.history ? { history: built.history } : {}),
        params: record.params,
        model: built.model,
        ...(built.preprocess ? { preprocess: built.preprocess } : {}),
        ...(built.referenceRows ? { referenceRows: built.referenceRows } : {}),
        ...(built.referenceProfile ? { referenceProfile: built.referenceProfile } : {}),
        ...(built.predictions ? { predictions: built.predictions } : {}),
        ...(built.explanation ? { explanation: built.explanation } : {}),
        card,
      },
    });
    // The run is safely written: the checkpoint has done its job.
    await built.afterWrite?.();
    if (record.status === "failed" && record.failure) {
      throw new ModelshipError(
        {
          code: record.failure.code,
          message: `${record.failure.message} (run kept at ${runDir}, marked failed)`,
          where: { file: join(runDir, "run.json") },
          hint: "Look at parity.worst in run.json. An activation or layer the exporter does not map correctly is the usual cause; if the difference is float32 rounding, loosen train.parity.rtol / atol.",
        },
        { failedCheck: true },
      );
    }
    return { runDir, record };
  } catch (err) {
    await removeStagingDir(staging);
    throw err;
  } finally {
    // Training disposes of it; this covers a run that failed before training started.
    early?.set.encoded.remove();
  }
}

/** Validates `train.params` merged with overrides (e.g. from `--set`). */
export function mergeParams(
  base: TrainParams,
  overrides: Partial<TrainParams> | Record<string, unknown>,
): TrainParams {
  const parsed = TrainParamsSchema.safeParse(deepMerge(base, overrides));
  if (parsed.success) return parsed.data;
  throw new ModelshipError(
    parsed.error.issues.map((i) => {
      const at = ["train", "params", ...i.path.map(String)].join(".");
      const what =
        i.code === "unrecognized_keys"
          ? `unknown parameter${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `'${k}'`).join(", ")}`
          : i.message;
      return {
        code: "params-invalid",
        message: `${at}: ${what}`,
        hint: `Parameters are: ${Object.keys(TrainParamsSchema.shape).join(", ")}; see schema/modelship.schema.json for their ranges.`,
      };
    }),
  );
}

function deepMerge(base: unknown, over: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Refuses a run id whose directory exists before any training starts (writeRunDir checks again at the end). */
async function refuseTakenRunId(runsDir: string, runId: string): Promise<void> {
  const target = join(runsDir, runId);
  const taken = await stat(target).then(
    () => true,
    () => false,
  );
  if (!taken) return;
  throw new ModelshipError({
    code: "run-exists",
    message: `run directory ${target} already exists; nothing was trained`,
    where: { file: target },
    hint: "Pick another --run-id (or leave it out for a fresh one), or delete the old run directory.",
  });
}

function defaultRunId(d: Date): string {
  const stamp = d.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

type Ctx = TrainRunOptions & {
  runId: string;
  params: TrainParams;
  staging: string;
  now: () => Date;
  started: Date;
  /** The rows read for validation, when training holds its rows in memory. */
  loaded?: LoadedData;
  /** `train.command` streamed: what the one pass over the snapshot recorded. */
  commandData?: CommandData;
  /** The streaming set opened before the staging directory, and how long that took. */
  streamed?: StreamingSet;
  earlyTimings?: Record<string, number>;
};

/**
 * Streaming with the built-in trainer: pulls the sources into the snapshot and makes the one
 * pass over it (suite, split, fit, encoding) before anything is written; a failed suite throws.
 */
async function openStreamedForTraining(
  opts: TrainRunOptions,
): Promise<{ set: StreamingSet; timings: Record<string, number> } | undefined> {
  const { config } = opts;
  if (!config.data.streaming.enabled || config.train.command) return undefined;
  const timings: Record<string, number> = {};
  const mark = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };
  const locations =
    opts.configFile && config.data.expectations.length > 0
      ? await configLocations(opts.configFile, opts.configLabel ?? opts.configFile)
      : undefined;
  const set = await openStreamingSet({
    config,
    repoDir: opts.repoDir,
    env: process.env,
    mark,
    ...(locations ? { locations } : {}),
  });
  return { set, timings };
}

/**
 * Streaming with `train.command`: the sources are read once into the snapshot, whose one pass
 * runs the suite and samples the drift profile; the program is given no data, as in memory.
 */
async function scanStreamedForCommand(opts: TrainRunOptions): Promise<CommandData | undefined> {
  const { config } = opts;
  const sources = config.data.source.length + config.data.sources.length;
  if (!config.data.streaming.enabled || !config.train.command || sources === 0) return undefined;
  const locations =
    opts.configFile && config.data.expectations.length > 0
      ? await configLocations(opts.configFile, opts.configLabel ?? opts.configFile)
      : undefined;
  return scanCommandData({
    config,
    repoDir: opts.repoDir,
    env: process.env,
    ...(locations ? { locations } : {}),
  });
}

/** The data, read once up front when a suite must see it and training would load it whole anyway. */
async function loadForValidation(opts: TrainRunOptions): Promise<LoadedData | undefined> {
  const { data } = opts.config;
  const sources = data.source.length + data.sources.length;
  if (data.expectations.length === 0 || sources === 0 || data.streaming.enabled) return undefined;
  return loadData({ repoDir: opts.repoDir, data });
}
type Built = {
  record: RunRecord;
  model: Uint8Array;
  history?: History;
  preprocess?: FittedPreprocessor;
  referenceRows?: ReferenceRowsFile;
  referenceProfile?: ReferenceProfile;
  predictions?: ValidationPredictions;
  explanation?: Explanation;
  afterWrite?: () => Promise<void>;
};

async function trainBuiltin(ctx: Ctx): Promise<Built> {
  const { config, params } = ctx;
  const timings: Record<string, number> = { ...ctx.earlyTimings };
  const mark = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };

  const { tf, backend, device, skipped } = await mark("backendMs", () => selectBackend());
  const data = await openTrainingData({
    tf,
    config,
    repoDir: ctx.repoDir,
    seed: params.seed,
    mark,
    ...(ctx.loaded === undefined ? {} : { loaded: ctx.loaded }),
    ...(ctx.streamed === undefined ? {} : { streamed: ctx.streamed }),
  });
  const { p, features } = data;
  const classification = config.model.task === "classification";
  const outputUnits = classification ? p.labels.length : 1;
  const width = p.outputWidth;
  // Balanced class weights count the training classes; nothing else needs the targets.
  const trainTargets = params.classWeights === undefined ? [] : data.trainTargets();
  const model = buildModel(tf, { inputWidth: width, outputUnits, task: config.model.task, params });
  const log = ctx.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  for (const s of skipped) log(`backend ${s.backend} skipped: ${s.reason}`);
  const checkpoints = ctx.checkpointDir
    ? openCheckpointStore({
        checkpointDir: ctx.checkpointDir,
        modelName: config.model.name,
        backend,
        now: ctx.now,
        identity: {
          preprocessHash: p.hash,
          dataFingerprint: data.fingerprint,
          split: {
            seed: config.data.seed,
            validationSplit: config.data.validationSplit,
            trainRows: data.trainRows,
            validationRows: data.validationRows,
          },
          params: { ...params },
          architecture: {
            task: config.model.task,
            inputWidth: width,
            outputUnits,
            layers: model.layers.map((l) => ({
              type: l.getClassName(),
              weights: l.getWeights().map((w) => w.shape),
            })),
          },
        },
      })
    : undefined;
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    const resume = checkpoints ? await findCheckpoint(checkpoints, model, params, log) : undefined;
    progress = createProgress(ctx.progress ?? "auto", params.epochs, process.stderr, resume?.epoch ?? 0);
    const live = progress;
    live.log(
      `training on ${backend} (${device}): ${data.trainRows} rows, ${data.validationRows} validation rows, ${width} inputs${data.mode === "streaming" ? `, streamed (shuffle buffer ${config.data.streaming.shuffleBuffer} rows)` : ""}`,
    );
    const fit = await fitModel(
      tf,
      model,
      data.fitData,
      params,
      (log) => {
        const { epoch, ...rest } = log;
        live.epoch({ epoch, logs: rest });
      },
      {
        ...(resume ? { resume } : {}),
        ...(checkpoints ? { save: (state: FitState) => checkpoints.save(state) } : {}),
      },
      {
        task: config.model.task,
        ...classWeightControl(params, config.model.task, p.labels, trainTargets),
        ...(ctx.shouldStop ? { shouldStop: ctx.shouldStop } : {}),
      },
    );
    live.stop();
    timings.fitMs = Math.round(fit.fitMs);
    if (checkpoints) timings.checkpointMs = Math.round(fit.checkpointMs);

    const evaluation = await mark("evaluateMs", () => data.evaluate(model));
    const sample = evaluation.sample;

    const onnxModel = await mark("exportMs", () =>
      exportOnnx({
        layers: denseWeights(model, params, classification),
        task: config.model.task,
        ...(classification ? { labels: p.labels } : {}),
        metadata: {
          "modelship.preprocess_hash": p.hash,
          "modelship.run_id": ctx.runId,
          ...(p.targetTransform ? { "modelship.target_transform": JSON.stringify(p.targetTransform) } : {}),
        },
        ...(p.targetTransform ? { targetScale: targetAffine(p.targetTransform) } : {}),
      }),
    );
    const parity = await mark("parityMs", () =>
      checkParity({
        model: onnxModel,
        input: sample.x,
        rows: sample.rows.length,
        width,
        expected: sample.pred,
        rtol: ctx.parity?.rtol ?? config.train.parity.rtol,
        atol: ctx.parity?.atol ?? config.train.parity.atol,
      }),
    );

    const training: NonNullable<RunRecord["training"]> & { resumedFromEpoch?: number } = {
      epochs: fit.epochs.length,
      bestEpoch: fit.bestEpoch,
      stoppedEarly: fit.stoppedEarly,
      ...(fit.resumedFromEpoch !== undefined ? { resumedFromEpoch: fit.resumedFromEpoch } : {}),
      ...(fit.prunedAtEpoch !== undefined ? { prunedAtEpoch: fit.prunedAtEpoch } : {}),
      ...recordedClassWeights(params, config.model.task, p.labels, trainTargets),
    };
    const finished = ctx.now();
    const fitSeconds = fit.fitMs / 1000;
    const record: RunRecord = {
      schemaVersion: 1,
      runId: ctx.runId,
      model: { name: config.model.name, task: config.model.task },
      trainer: "builtin",
      backend,
      device,
      skippedBackends: skipped,
      startedAt: ctx.started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: Math.max(0, finished.getTime() - ctx.started.getTime()),
      timings,
      training,
      ...(fitSeconds > 0 ? { samplesPerSecond: Math.round(fit.samplesSeen / fitSeconds) } : {}),
      code: await codeRevision(ctx.repoDir),
      data: {
        ...data.recordData,
        trainRows: data.trainRows,
        validationRows: data.validationRows,
      },
      ...(p.targetTransform ? { targetTransform: p.targetTransform } : {}),
      params: { ...params },
      metrics: evaluation.metrics,
      signature: {
        inputs: rawInputSignature(p),
        outputs: [{ name: onnxOutputName(config.model.task), datatype: "FP32", shape: [-1, outputUnits] }],
        ...(classification ? { labels: p.labels } : {}),
      },
      parity,
      preprocessHash: p.hash,
      status: parity.ok ? "succeeded" : "failed",
      ...(parity.ok
        ? {}
        : {
            failure: {
              code: "onnx-parity-failed",
              message: describeParityFailure(parity),
            },
          }),
    };
    return {
      record,
      model: onnxModel,
      history: { epochs: fit.epochs },
      preprocess: p,
      referenceRows: pickReferenceRows(sample.rows, features),
      ...(await explainBuiltin({
        explain: ctx.explain !== false,
        tf,
        model,
        config,
        p,
        valRows: sample.rows,
        features,
        prep: sample,
        width,
        valPred: sample.pred,
      })),
      referenceProfile: createReferenceProfile({
        model: config.model.name,
        rows: data.profileRows,
        features,
        predictions: predictionValues(sample.pred, classification ? p.labels : undefined),
      }),
      ...(checkpoints ? { afterWrite: () => removeCheckpoint(checkpoints, log) } : {}),
    };
  } finally {
    progress?.stop();
    model.dispose();
    data.dispose();
  }
}

/** The checkpoint to resume from, if `checkpoints` holds one of this very training; logs why not. */
async function findCheckpoint(
  checkpoints: CheckpointStore,
  model: ReturnType<Tf["sequential"]>,
  params: TrainParams,
  log: (line: string) => void,
): Promise<FitState | undefined> {
  const found = await checkpoints.load({
    weights: model.getWeights().map((w) => [...w.shape]),
    trainable: model.trainableWeights.map((w) => w.shape.map((d) => d ?? -1)),
    epochs: params.epochs,
  });
  switch (found.kind) {
    case "none":
      log(`checkpoints: none in ${checkpoints.dir}; training from epoch 1, checkpointing every epoch`);
      return undefined;
    case "ignored":
      log(`warning: checkpoint ignored: ${found.reason}; training from epoch 1 and replacing it`);
      return undefined;
    case "resume": {
      const { epoch, earlyStopping } = found.state;
      const done = earlyStopping.stoppedEarly || epoch >= params.epochs;
      log(
        `checkpoints: resuming from epoch ${epoch}/${params.epochs} (${checkpoints.dir}, written ${found.manifest.writtenAt} on ${found.manifest.backend})${done ? "; training had already finished" : `; continuing at epoch ${epoch + 1}`}`,
      );
      return found.state;
    }
  }
}

async function removeCheckpoint(checkpoints: CheckpointStore, log: (line: string) => void): Promise<void> {
  try {
    await checkpoints.remove();
  } catch (err) {
    log(`warning: could not remove the checkpoint in ${checkpoints.dir}: ${(err as Error).message}`);
  }
}

function denseWeights(
  model: ReturnType<Tf["sequential"]>,
  params: TrainParams,
  classification: boolean,
): DenseWeights[] {
  const activations: DenseWeights["activation"][] = [
    ...params.layers.map((l) => l.activation),
    classification ? "softmax" : "linear",
  ];
  const dense = model.layers.filter((l) => l.getClassName() === "Dense");
  return dense.map((layer, i) => {
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias) throw new Error(`dense layer ${i} has no weights`);
    const [inputs, units] = kernel.shape as [number, number];
    return {
      kernel: kernel.dataSync() as Float32Array,
      bias: bias.dataSync() as Float32Array,
      inputs,
      units,
      activation: activations[i] ?? "linear",
    };
  });
}

async function trainWithCommand(ctx: Ctx): Promise<Built> {
  const { config } = ctx;
  const command = config.train.command!;
  const data = await commandRunData(ctx);
  const t0 = performance.now();
  const result = await runCommand({
    command,
    repoDir: ctx.repoDir,
    outputDir: join(ctx.staging, "output"),
    runId: ctx.runId,
    params: { ...ctx.params },
    outputs: config.train.outputs,
    timeoutMs: config.train.timeoutMinutes * 60_000,
    sink: ctx.progress === "silent" ? null : process.stderr,
    ...(ctx.checkpointDir ? { env: { MODELSHIP_CHECKPOINT_DIR: resolve(ctx.checkpointDir) } } : {}),
  });
  const commandMs = Math.round(performance.now() - t0);
  await removeStagingDir(join(ctx.staging, "output"));
  const finished = ctx.now();
  const record: RunRecord = {
    schemaVersion: 1,
    runId: ctx.runId,
    model: { name: config.model.name, task: config.model.task },
    trainer: "command",
    command,
    backend: "external",
    startedAt: ctx.started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: Math.max(0, finished.getTime() - ctx.started.getTime()),
    timings: { commandMs },
    code: await codeRevision(ctx.repoDir),
    data: data.recordData,
    params: { ...ctx.params },
    metrics: result.metrics,
    ...(result.signature ? { signature: result.signature } : {}),
    status: "succeeded",
  };
  return {
    record,
    model: result.model,
    ...(result.history ? { history: result.history } : {}),
    ...(data.referenceProfile ? { referenceProfile: data.referenceProfile } : {}),
  };
}

/**
 * What a `train.command` run records of its data: streamed, what the one pass found; otherwise
 * the rows read for validation or read now, profiled whole. No sources, nothing.
 */
async function commandRunData(ctx: Ctx): Promise<Omit<CommandData, "validation">> {
  if (ctx.commandData) return ctx.commandData;
  const { config } = ctx;
  const data =
    ctx.loaded ??
    (config.data.source.length + config.data.sources.length > 0
      ? await loadData({ repoDir: ctx.repoDir, data: config.data })
      : undefined);
  if (!data) return { recordData: { fingerprint: "", files: [] }, referenceProfile: undefined };
  // A program's data need not name model.target: then there is no profile, and no drift reference.
  const features = data.columns.includes(config.model.target) ? resolveFeatures(config, data) : undefined;
  return {
    recordData: runRecordData(data),
    referenceProfile: features
      ? createReferenceProfile({ model: config.model.name, rows: data.rows, features })
      : undefined,
  };
}

/** The model's answers on the validation rows as drift compares them: class names, or regression values. */
function predictionValues(
  pred: ArrayLike<number>,
  labels: readonly string[] | undefined,
): { name: string; values: unknown[]; labels?: readonly string[] } {
  if (!labels) return { name: "prediction", values: Array.from(pred) };
  const k = labels.length;
  const values: string[] = [];
  for (let r = 0; r * k < pred.length; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (pred[r * k + j]! > pred[r * k + best]!) best = j;
    values.push(labels[best]!);
  }
  return { name: "label", values, labels };
}
