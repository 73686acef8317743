/**
 * Inference server process, used by `modelship serve` and by the blue-green router's slots.
 *
 *   node runners/serve/main.ts --model PATH [--model PATH ...] [--name NAME ...] [--model-version V]
 *        [--host H] [--port N] [--max-body-bytes B] [--max-elements E] [--timeout-ms T] [--max-batch-rows R]
 *        [--max-queue-delay-us U] [--preferred-batch-rows R1,R2] [--inference-thread main|worker]
 *        [--prediction-log DIR [--log-sample-rate F] [--log-max-mb M] [--log-rotate-mb M] [--log-max-record-kb K]]
 *
 * The first line on stdout, once the socket listens, is `{"event":"listening","url":...,"port":...}`;
 * everything else goes to stderr. SIGTERM or SIGINT finishes in-flight requests, then exits 0.
 */
import { parseArgs } from "node:util";
import { formatProblem, ModelshipError } from "../../core/errors.ts";
import { defaultModelName, resolveModelFile } from "./resolve-model-file.ts";
import { DEFAULT_INFERENCE_THREAD, DEFAULT_MAX_BATCH_ROWS, type InferenceThread } from "./served-model.ts";
import { PREDICTION_LOG_DEFAULTS, type PredictionLogSettings } from "./prediction-log.ts";
import { startInferenceServer, type InferenceServer, type ServeLimits } from "./server.ts";
import { acceptHandoff, type RouterChannel } from "./accept-handoff.ts";
import { HANDOFF_ENV } from "../router/handoff-messages.ts";

export type ServeProcessOptions = {
  /** .onnx files, model directories or run directories. */
  models: string[];
  /** Names paired with `models` by position; missing ones come from the path. */
  names?: string[];
  version?: string;
  host?: string;
  port?: number;
  limits?: ServeLimits;
  /** Most rows concurrent requests may be stacked into for one run; 1 turns stacking off. */
  maxBatchRows?: number;
  /** How long a request may wait for others to stack with, in microseconds. */
  maxQueueDelayUs?: number;
  /** Row counts dispatched without waiting out the delay. */
  preferredBatchRows?: number[];
  /** Where `session.run` executes: the event loop ("main", default) or a worker thread per model. */
  inferenceThread?: InferenceThread;
  /** Log inferences as JSON lines in `predictionLog.dir`. */
  predictionLog?: PredictionLogSettings;
};

function log(line: string): void {
  process.stderr.write(`[modelship serve] ${line}\n`);
}

/** Starts the server, prints the listening line, and shuts down gracefully on SIGTERM/SIGINT (exit 0). */
export async function serveUntilSignal(opts: ServeProcessOptions): Promise<InferenceServer> {
  if (opts.models.length === 0) {
    throw new ModelshipError({
      code: "model-missing",
      message: "no model to serve",
      hint: "Pass --model PATH (an .onnx file or a model directory).",
    });
  }
  const models: Array<{ name: string; modelPath: string; version?: string }> = [];
  for (const [i, path] of opts.models.entries()) {
    const modelPath = await resolveModelFile(path);
    const name = opts.names?.[i] ?? (await defaultModelName(modelPath));
    models.push({ name, modelPath, ...(opts.version === undefined ? {} : { version: opts.version }) });
  }
  const server = await startInferenceServer({
    models,
    ...(opts.host === undefined ? {} : { host: opts.host }),
    ...(opts.port === undefined ? {} : { port: opts.port }),
    ...(opts.limits === undefined ? {} : { limits: opts.limits }),
    ...(opts.maxBatchRows === undefined ? {} : { maxBatchRows: opts.maxBatchRows }),
    ...(opts.maxQueueDelayUs === undefined ? {} : { maxQueueDelayUs: opts.maxQueueDelayUs }),
    ...(opts.preferredBatchRows === undefined ? {} : { preferredBatchRows: opts.preferredBatchRows }),
    ...(opts.inferenceThread === undefined ? {} : { inferenceThread: opts.inferenceThread }),
    ...(opts.predictionLog === undefined
      ? {}
      : { predictionLog: { ...opts.predictionLog, warn: (m: string) => log(`warning: ${m}`) } }),
    onListening: ({ url, port }) => {
      process.stdout.write(`${JSON.stringify({ event: "listening", url, port })}\n`);
      log(`listening on ${url}; loading ${models.map((m) => `${m.name} (${m.modelPath})`).join(", ")}`);
    },
  });
  log(`ready: ${models.map((m) => `${server.url}/v2/models/${m.name}/infer`).join(", ")}`);
  // Spawned by the router with an IPC channel: it hands this process client connections.
  const handoff =
    process.env[HANDOFF_ENV] === "1" && process.channel
      ? acceptHandoff({ target: server.httpServer, channel: process as RouterChannel })
      : null;
  log(describeBatching(opts));
  if ((opts.inferenceThread ?? DEFAULT_INFERENCE_THREAD) === "worker")
    log("inference: in a worker thread per model");
  if (opts.predictionLog !== undefined) log(describePredictionLog(opts.predictionLog));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing in-flight requests`);
    // Handed connections finish their requests too (the server's own close does not wait for them).
    Promise.resolve(handoff?.drain(10_000))
      .then(() => server.close())
      .then(
        () => {
          log("stopped");
          process.exit(0);
        },
        (err: unknown) => {
          log(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
          process.exit(1);
        },
      );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return server;
}

/** One line on how concurrent requests are stacked, so the logs say which settings a server runs with. */
export function describeBatching(opts: Pick<ServeProcessOptions, BatchingKey>): string {
  const rows = opts.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS;
  if (rows === 1) return "batching: off (--max-batch-rows 1)";
  const preferred = opts.preferredBatchRows?.length ? opts.preferredBatchRows.join(",") : String(rows);
  return `batching: up to ${rows} rows, queue delay ${opts.maxQueueDelayUs ?? 0} µs, dispatch at ${preferred} rows`;
}

type BatchingKey = "maxBatchRows" | "maxQueueDelayUs" | "preferredBatchRows";

/** One line on where predictions are logged and with which limits. */
export function describePredictionLog(p: PredictionLogSettings): string {
  const d = PREDICTION_LOG_DEFAULTS;
  const mb = (b: number) => `${Math.round((b / 1024 / 1024) * 100) / 100} MB`;
  return `prediction log: ${p.dir}, sample rate ${p.sampleRate ?? d.sampleRate}, files of ${mb(p.rotateBytes ?? d.rotateBytes)}, at most ${mb(p.maxLogBytes ?? d.maxLogBytes)} in all, bodies over ${(p.maxRecordBytes ?? d.maxRecordBytes) / 1024} KB summarised`;
}

function numberOption(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `${flag} must be a number from ${min} to ${max}, got '${value}'`,
    });
  }
  return n;
}

const MB = 1024 * 1024;

type LogFlag = "prediction-log" | "log-sample-rate" | "log-max-mb" | "log-rotate-mb" | "log-max-record-kb";

function predictionLogOf(values: Partial<Record<LogFlag, string>>): PredictionLogSettings | undefined {
  const dir = values["prediction-log"];
  const sampleRate = numberOption(values["log-sample-rate"], "--log-sample-rate", 0, 1);
  const maxMb = numberOption(values["log-max-mb"], "--log-max-mb", 1, 1_048_576);
  const rotateMb = numberOption(values["log-rotate-mb"], "--log-rotate-mb", 0.01, 1_048_576);
  const recordKb = numberOption(values["log-max-record-kb"], "--log-max-record-kb", 1, 1_048_576);
  if (dir === undefined) {
    const given = (["log-sample-rate", "log-max-mb", "log-rotate-mb", "log-max-record-kb"] as const).find(
      (k) => values[k] !== undefined,
    );
    if (given === undefined) return undefined;
    throw new ModelshipError({
      code: "option-invalid",
      message: `--${given} needs --prediction-log DIR`,
      hint: "Pass --prediction-log DIR to say where predictions are logged.",
    });
  }
  return {
    dir,
    ...(sampleRate === undefined ? {} : { sampleRate }),
    ...(maxMb === undefined ? {} : { maxLogBytes: Math.round(maxMb * MB) }),
    ...(rotateMb === undefined ? {} : { rotateBytes: Math.round(rotateMb * MB) }),
    ...(recordKb === undefined ? {} : { maxRecordBytes: Math.round(recordKb * 1024) }),
  };
}

function intOption(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `${flag} must be an integer from ${min} to ${max}, got '${value}'`,
    });
  }
  return n;
}

function inferenceThreadOf(value: string | undefined): InferenceThread | undefined {
  if (value === undefined || value === "main" || value === "worker") return value;
  throw new ModelshipError({
    code: "option-invalid",
    message: `--inference-thread must be 'main' or 'worker', got '${value}'`,
  });
}

/** Parses the process arguments into serve options; throws ModelshipError on a bad value. */
export function parseServeArgs(argv: string[]): ServeProcessOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: "string", multiple: true },
      name: { type: "string", multiple: true },
      "model-version": { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      "max-body-bytes": { type: "string" },
      "max-elements": { type: "string" },
      "timeout-ms": { type: "string" },
      "max-batch-rows": { type: "string" },
      "max-queue-delay-us": { type: "string" },
      "preferred-batch-rows": { type: "string" },
      "inference-thread": { type: "string" },
      "prediction-log": { type: "string" },
      "log-sample-rate": { type: "string" },
      "log-max-mb": { type: "string" },
      "log-rotate-mb": { type: "string" },
      "log-max-record-kb": { type: "string" },
    },
    strict: true,
  });
  const limits: ServeLimits = {};
  const maxBodyBytes = intOption(values["max-body-bytes"], "--max-body-bytes", 1, 2 ** 31);
  const maxElements = intOption(values["max-elements"], "--max-elements", 1, 2 ** 31);
  const timeoutMs = intOption(values["timeout-ms"], "--timeout-ms", 1, 2 ** 31);
  if (maxBodyBytes !== undefined) limits.maxBodyBytes = maxBodyBytes;
  if (maxElements !== undefined) limits.maxElements = maxElements;
  if (timeoutMs !== undefined) limits.timeoutMs = timeoutMs;
  const port = intOption(values.port, "--port", 0, 65535);
  const maxBatchRows = intOption(values["max-batch-rows"], "--max-batch-rows", 1, 1_048_576);
  const maxQueueDelayUs = intOption(values["max-queue-delay-us"], "--max-queue-delay-us", 0, 10_000_000);
  const preferredBatchRows = values["preferred-batch-rows"]
    ?.split(",")
    .map((r) => intOption(r.trim(), "--preferred-batch-rows", 1, 1_048_576)!);
  const predictionLog = predictionLogOf(values);
  const inferenceThread = inferenceThreadOf(values["inference-thread"]);
  return {
    models: values.model ?? [],
    ...(values.name === undefined ? {} : { names: values.name }),
    ...(values["model-version"] === undefined ? {} : { version: values["model-version"] }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(port === undefined ? {} : { port }),
    ...(maxBatchRows === undefined ? {} : { maxBatchRows }),
    ...(maxQueueDelayUs === undefined ? {} : { maxQueueDelayUs }),
    ...(preferredBatchRows === undefined ? {} : { preferredBatchRows }),
    ...(predictionLog === undefined ? {} : { predictionLog }),
    ...(inferenceThread === undefined ? {} : { inferenceThread }),
    limits,
  };
}

if (import.meta.main) {
  try {
    await serveUntilSignal(parseServeArgs(process.argv.slice(2)));
  } catch (err) {
    if (err instanceof ModelshipError)
      for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
    else process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
