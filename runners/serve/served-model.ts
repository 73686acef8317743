import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import ort from "onnxruntime-node";
import { ModelshipError } from "../../core/errors.ts";
import {
  applyPreprocessor,
  parsePreprocessor,
  rawInputSignature,
  type FittedPreprocessor,
} from "../../core/features/preprocessor.ts";
import {
  createBatchRunner,
  type BatchRunnerOptions,
  type OutputView,
  type RunResult,
} from "./batch-runner.ts";
import { encodeBinaryTensor } from "./binary-tensor.ts";
import { assertFinite, FLOAT32_MAX } from "./check-finite.ts";
import { checkOutputs, probabilityOutputNames } from "./check-outputs.ts";
import { outputJson, tensorDataJson } from "./encode-output.ts";
import type { InferRequest, RequestInput } from "./parse-infer-request.ts";
import { badRequest, ServeError } from "./serve-error.ts";
import { toOrtTensor } from "./to-ort-tensor.ts";
import { v2DatatypeOf, type V2Datatype } from "./v2-datatype.ts";
import { createWorkerSession, inferenceWorkerAvailable, type RunnableSession } from "./worker-session.ts";

/** V2 tensor metadata; -1 marks a dimension of any size. */
export type TensorMetadata = {
  name: string;
  datatype: V2Datatype;
  shape: number[];
  parameters?: Record<string, unknown>;
};

/**
 * The JSON text of the V2 `outputs` array; the bytes of the outputs sent as binary data, in order;
 * the seconds the `session.run` serving it took; and the returned outputs' values (views, not
 * copies) for the prediction log.
 */
export type InferAnswer = {
  outputsJson: string;
  binary: Buffer[];
  runSeconds: number;
  values: ReturnedOutput[];
};

/** One output as returned to the client: its values, flat row-major. */
export type ReturnedOutput = {
  name: string;
  datatype: V2Datatype;
  dims: readonly number[];
  data: ort.Tensor.DataType;
};

/** One model a server hosts: `modelPath` is the model.onnx file. */
export type ModelSource = { name: string; version: string; modelPath: string };

/** A loaded model: what it advertises and how it answers an infer request. */
export type ServedModel = {
  readonly name: string;
  readonly version: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** Runs the model. Throws ServeError on bad input. */
  infer(request: InferRequest): Promise<InferAnswer>;
  close(): Promise<void>;
};

const LABEL_OUTPUT = "label";
const NUMERIC_DATATYPES = new Set<V2Datatype>([
  "FP32",
  "FP64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
]);

function tensorMetadata(
  meta: readonly ort.InferenceSession.ValueMetadata[],
  file: string,
  kind: string,
): TensorMetadata[] {
  const out: TensorMetadata[] = [];
  for (const m of meta) {
    if (!m.isTensor) {
      // Non-tensor outputs (sequences, maps) have no V2 form; they are left out of the answer.
      if (kind === "input") throw modelUnsupported(file, `input '${m.name}' is not a tensor`);
      continue;
    }
    const datatype = v2DatatypeOf(m.type);
    if (datatype === undefined) {
      if (kind === "input")
        throw modelUnsupported(file, `input '${m.name}' has type ${m.type}, which V2 cannot carry`);
      continue;
    }
    out.push({ name: m.name, datatype, shape: m.shape.map((d) => (typeof d === "number" ? d : -1)) });
  }
  return out;
}

function modelUnsupported(file: string, message: string): ModelshipError {
  return new ModelshipError({
    code: "model-unsupported",
    message,
    where: { file },
    hint: "The server feeds tensors of V2 datatypes; export the model with tensor inputs.",
  });
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

function checkAgainstSpec(input: RequestInput, spec: TensorMetadata): void {
  if (input.datatype !== spec.datatype) {
    throw badRequest(
      "datatype-mismatch",
      `input '${input.name}': datatype ${input.datatype} does not match the model's ${spec.datatype}`,
    );
  }
  // An empty model shape means the model does not declare one; onnxruntime checks it when it runs.
  if (spec.shape.length === 0) return;
  let ok = input.shape.length === spec.shape.length;
  for (let i = 0; ok && i < spec.shape.length; i++) {
    const d = spec.shape[i]!;
    if (d >= 0 && d !== input.shape[i]) ok = false;
  }
  if (!ok) {
    throw badRequest(
      "shape-mismatch",
      `input '${input.name}': shape ${shapeText(input.shape)} does not match the model's ${shapeText(spec.shape)} (-1 is any size)`,
    );
  }
}

async function readPreprocessor(modelFile: string): Promise<FittedPreprocessor | undefined> {
  const file = join(dirname(modelFile), "preprocess.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelshipError({
      code: "preprocess-invalid",
      message: `not valid JSON: ${(err as Error).message}`,
      where: { file },
      hint: "Re-create the file by training again; preprocess.json is written by the trainer.",
    });
  }
  return parsePreprocessor(json, file);
}

/** How concurrent requests to one model are stacked into runs; every field is optional. */
export type BatchingOptions = Partial<
  Pick<BatchRunnerOptions, "maxBatchRows" | "maxQueueDelayUs" | "preferredBatchRows" | "observer">
>;

/**
 * Where `session.run` executes: on the event loop ("main", the default) or in a worker thread that
 * owns the session ("worker"), which leaves the loop free to read and answer requests while a run
 * computes. Which is faster depends on the model and the machine (docs/serving.md).
 */
export type InferenceThread = "main" | "worker";

export const DEFAULT_INFERENCE_THREAD: InferenceThread = "main";

/** Batching, and where runs execute. */
export type ServedModelOptions = BatchingOptions & { inferenceThread?: InferenceThread };

/** Rows one stacked run may hold unless told otherwise. */
export const DEFAULT_MAX_BATCH_ROWS = 64;

/**
 * Whether requests can be stacked: every input and output declares the same symbolic first
 * dimension (a batch axis such as "batch" or "N").
 */
function hasBatchDimension(session: RunnableSession): boolean {
  const firsts = [...session.inputMetadata, ...session.outputMetadata].map((m) =>
    m.isTensor ? m.shape[0] : undefined,
  );
  const symbol = firsts[0];
  return typeof symbol === "string" && symbol !== "" && firsts.every((d) => d === symbol);
}

/**
 * Loads `source.modelPath` (and a `preprocess.json` beside it) into an onnxruntime session.
 * `maxBatchRows` caps how many rows concurrent requests may be stacked into (1: never stack);
 * `maxQueueDelayUs` and `preferredBatchRows` open a window for them to gather (see createBatchRunner).
 */
export async function loadServedModel(
  source: ModelSource,
  options: ServedModelOptions = {},
): Promise<ServedModel> {
  const file = source.modelPath;
  const { inferenceThread = DEFAULT_INFERENCE_THREAD, ...batching } = options;
  let session: RunnableSession;
  try {
    session =
      inferenceThread === "worker" && inferenceWorkerAvailable()
        ? await createWorkerSession(file)
        : await ort.InferenceSession.create(file, { graphOptimizationLevel: "all", logSeverityLevel: 3 });
  } catch (err) {
    throw new ModelshipError({
      code: "model-invalid",
      message: `onnxruntime cannot load the model: ${(err as Error).message}`,
      where: { file },
      hint: "Check that the file is a complete ONNX model (re-export or re-download it).",
    });
  }
  try {
    const inputs = tensorMetadata(session.inputMetadata, file, "input");
    const outputs = tensorMetadata(session.outputMetadata, file, "output");
    const preprocessor = await readPreprocessor(file);
    if (preprocessor !== undefined) checkPreprocessorFits(preprocessor, inputs, file);
    return createServedModel(source, session, inputs, outputs, preprocessor, {
      ...batching,
      maxBatchRows: batching.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS,
    });
  } catch (err) {
    await session.release();
    throw err;
  }
}

function checkPreprocessorFits(p: FittedPreprocessor, inputs: readonly TensorMetadata[], file: string): void {
  const spec = inputs.find((i) => i.name === p.inputName);
  const width = spec?.shape.at(-1);
  if (
    spec === undefined ||
    spec.datatype !== "FP32" ||
    spec.shape.length !== 2 ||
    (width !== -1 && width !== p.outputWidth)
  ) {
    throw new ModelshipError({
      code: "preprocess-mismatch",
      message: `preprocess.json produces FP32 [n,${p.outputWidth}] '${p.inputName}', but the model's inputs are ${inputs
        .map((i) => `${i.datatype} ${shapeText(i.shape)} '${i.name}'`)
        .join(", ")}`,
      where: { file: join(dirname(file), "preprocess.json") },
      hint: "Serve the model.onnx and preprocess.json written by the same training run.",
    });
  }
}

function createServedModel(
  source: ModelSource,
  session: RunnableSession,
  modelInputs: TensorMetadata[],
  modelOutputs: TensorMetadata[],
  preprocessor: FittedPreprocessor | undefined,
  batching: BatchingOptions & { maxBatchRows: number },
): ServedModel {
  const inputSpecs = new Map(modelInputs.map((s) => [s.name, s]));
  const outputSpecs = new Map(modelOutputs.map((s) => [s.name, s]));
  const allOutputNames = modelOutputs.map((o) => o.name);
  const probabilityOutputs = probabilityOutputNames(allOutputNames);
  const runner = createBatchRunner(session, {
    inputNames: modelInputs.map((i) => i.name),
    outputNames: allOutputNames,
    batchable: hasBatchDimension(session),
    ...batching,
  });
  const withLabel =
    preprocessor !== undefined && preprocessor.task === "classification" && preprocessor.labels.length > 0;
  const rawInputs: TensorMetadata[] | undefined = preprocessor && rawInputSignature(preprocessor);
  const rawSpecs = new Map((rawInputs ?? []).map((s) => [s.name, s]));
  const advertisedOutputs = withLabel
    ? [...modelOutputs, { name: LABEL_OUTPUT, datatype: "BYTES" as const, shape: [-1] }]
    : modelOutputs;
  const expectedNames = (rawInputs ?? modelInputs).map((i) => `'${i.name}'`).join(", ");

  function tensorFeeds(request: InferRequest): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of request.inputs) {
      const spec = inputSpecs.get(input.name);
      if (spec === undefined)
        throw badRequest(
          "input-unknown",
          `input '${input.name}' is not an input of the model (expected ${expectedNames})`,
        );
      checkAgainstSpec(input, spec);
    }
    if (request.inputs.length !== modelInputs.length) {
      const missing = modelInputs
        .filter((s) => !request.inputs.some((i) => i.name === s.name))
        .map((s) => `'${s.name}'`);
      throw badRequest(
        "input-missing",
        `missing input ${missing.join(", ")} (the model takes ${expectedNames})`,
      );
    }
    for (const input of request.inputs) feeds[input.name] = toOrtTensor(input);
    return feeds;
  }

  function rawFeeds(
    p: FittedPreprocessor,
    request: InferRequest,
  ): { feeds: Record<string, ort.Tensor>; rows: number } {
    const columns: Record<string, ArrayLike<unknown>> = {};
    let rows = -1;
    for (const input of request.inputs) {
      const spec = rawSpecs.get(input.name);
      if (spec === undefined)
        throw badRequest(
          "input-unknown",
          `input '${input.name}' is not an input of the model (expected ${expectedNames})`,
        );
      const numeric = spec.datatype === "FP32";
      if (numeric ? !NUMERIC_DATATYPES.has(input.datatype) : input.datatype !== "BYTES") {
        throw badRequest(
          "datatype-mismatch",
          `input '${input.name}': datatype ${input.datatype} does not match the model's ${spec.datatype}${numeric ? " (or another numeric datatype)" : ""}`,
        );
      }
      const n = input.shape[0];
      if (n === undefined || input.shape.length > 2 || (input.shape.length === 2 && input.shape[1] !== 1)) {
        throw badRequest(
          "shape-mismatch",
          `input '${input.name}': shape ${shapeText(input.shape)} must be [n] (one value per row)`,
        );
      }
      if (rows >= 0 && n !== rows) {
        throw badRequest(
          "shape-mismatch",
          `input '${input.name}' has ${n} rows but other inputs have ${rows}; send one value per row for every input`,
        );
      }
      rows = n;
      for (let i = 0; i < input.data.length; i++) {
        const v = input.data[i];
        // null marks a missing value, which the fitted imputation fills (or rejects).
        if (numeric && typeof v === "number" && Math.abs(v) > FLOAT32_MAX) {
          throw badRequest(
            "data-non-finite",
            `input '${input.name}': data[${i}] is ${v}, which is Infinity as float32`,
          );
        }
        if (v !== null && typeof v !== (numeric ? "number" : "string")) {
          throw badRequest(
            "data-invalid",
            `input '${input.name}': data[${i}] must be ${numeric ? "a number" : "a string"} or null`,
          );
        }
      }
      columns[input.name] = input.data;
    }
    let features: Float32Array;
    try {
      features = applyPreprocessor(p, columns, rows);
    } catch (err) {
      if (err instanceof ModelshipError)
        throw badRequest(err.code, err.problems.map((x) => x.message).join("; "));
      throw err;
    }
    assertFinite(features, "the features computed from the inputs");
    return { feeds: { [p.inputName]: new ort.Tensor("float32", features, [rows, p.outputWidth]) }, rows };
  }

  type Returned = { readonly name: string; readonly binary: boolean };
  type ReturnedSet = { outputs: readonly Returned[]; label: Returned | undefined };

  // What a request naming no outputs gets, built once per binary flag rather than per request.
  const allReturned = (binary: boolean): ReturnedSet => ({
    outputs: allOutputNames.map((name) => ({ name, binary })),
    label: withLabel ? { name: LABEL_OUTPUT, binary } : undefined,
  });
  const allAsJson = allReturned(false);
  const allAsBinary = allReturned(true);

  function returnedOutputs(request: InferRequest): ReturnedSet {
    const binary = request.binaryOutputs;
    if (request.outputs === undefined) return binary ? allAsBinary : allAsJson;
    const outputs: Returned[] = [];
    let label: Returned | undefined;
    for (const o of request.outputs) {
      const wanted = { name: o.name, binary: o.binary ?? binary };
      if (withLabel && o.name === LABEL_OUTPUT) label = wanted;
      else if (outputSpecs.has(o.name)) outputs.push(wanted);
      else {
        throw badRequest(
          "output-unknown",
          `output '${o.name}' is not an output of the model (outputs: ${advertisedOutputs.map((x) => `'${x.name}'`).join(", ")})`,
        );
      }
    }
    return { outputs, label };
  }

  async function infer(request: InferRequest): Promise<InferAnswer> {
    const raw = preprocessor !== undefined && !namesInput(request, preprocessor.inputName);
    const returned = returnedOutputs(request);
    const feeds = raw ? rawFeeds(preprocessor, request).feeds : tensorFeeds(request);
    let result: RunResult;
    try {
      result = await runner.run(feeds);
    } catch (err) {
      throw new ServeError(
        500,
        "inference-failed",
        `onnxruntime failed to run the model: ${(err as Error).message}`,
      );
    }
    checkOutputs(result.outputs, outputSpecs, probabilityOutputs);
    let json = "[";
    const binary: Buffer[] = [];
    const values: ReturnedOutput[] = [];
    const add = (o: Returned, datatype: V2Datatype, dims: readonly number[], data: ort.Tensor.DataType) => {
      values.push({ name: o.name, datatype, dims, data });
      if (json.length > 1) json += ",";
      if (o.binary) {
        const bytes = encodeBinaryTensor(data, datatype);
        binary.push(bytes);
        json += outputJson(o.name, datatype, dims, undefined, bytes.byteLength);
      } else json += outputJson(o.name, datatype, dims, tensorDataJson(data, datatype));
    };
    for (const o of returned.outputs) {
      const out = result.outputs[o.name];
      const spec = outputSpecs.get(o.name);
      if (out !== undefined && spec !== undefined) add(o, spec.datatype, out.dims, out.data);
    }
    if (returned.label !== undefined && preprocessor !== undefined) {
      const labels = argmaxLabels(result.outputs, allOutputNames, preprocessor.labels);
      if (labels !== undefined) add(returned.label, "BYTES", [labels.length], labels);
    }
    return { outputsJson: `${json}]`, binary, runSeconds: result.runSeconds, values };
  }

  return {
    name: source.name,
    version: source.version,
    inputs: rawInputs ?? modelInputs,
    outputs: advertisedOutputs,
    infer,
    close: () => session.release(),
  };
}

/** Whether the request has an input of this name. */
function namesInput(request: InferRequest, name: string): boolean {
  for (const input of request.inputs) if (input.name === name) return true;
  return false;
}

/**
 * Class names of the row-wise argmax of the first output shaped [n, labels.length], or, for two
 * classes, of a single [n, 1] probability of the second class.
 */
function argmaxLabels(
  results: Record<string, OutputView>,
  names: readonly string[],
  labels: readonly string[],
): string[] | undefined {
  const k = labels.length;
  for (const name of names) {
    const t = results[name];
    if (
      t === undefined ||
      t.dims.length !== 2 ||
      !(t.data instanceof Float32Array || t.data instanceof Float64Array)
    )
      continue;
    const data = t.data;
    const rows = t.dims[0]!;
    const out = new Array<string>(rows);
    if (k === 2 && t.dims[1] === 1) {
      for (let r = 0; r < rows; r++) out[r] = labels[data[r]! > 0.5 ? 1 : 0]!;
      return out;
    }
    if (t.dims[1] !== k) continue;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (data[r * k + j]! > data[r * k + best]!) best = j;
      out[r] = labels[best]!;
    }
    return out;
  }
  return undefined;
}
