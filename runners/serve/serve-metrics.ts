import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { FastHistogram } from "./fast-histogram.ts";
import type { PredictionLogObserver } from "./prediction-log.ts";

/** Latency buckets in seconds, from half a millisecond (a small model on loopback) to 10 s. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Rows per session.run: one request alone, or several stacked by the batcher. */
export const BATCH_ROWS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** Seconds a request waits in the batcher's queue, from 50 µs (the next event-loop turn) to 1 s. */
export const QUEUE_WAIT_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/** The route a request counter sample belongs to. */
export type MetricRoute = "infer" | "model_metadata" | "model_ready";

/** Prometheus metrics of one inference server, in a registry of its own. */
export type ServeMetrics = {
  registry: Registry;
  requests: Counter<"model" | "version" | "route" | "code" | "traffic">;
  requestDuration: FastHistogram<"model" | "version" | "route" | "traffic">;
  inferenceDuration: FastHistogram<"model" | "version">;
  batchRows: FastHistogram<"model" | "version">;
  queueWait: FastHistogram<"model" | "version">;
  modelReady: Gauge<"model" | "version">;
  invalidOutputs: Counter<"model" | "version" | "reason" | "traffic">;
  log: PredictionLogMetrics;
};

/** The prediction log's own health: what it wrote, summarised, left out, dropped and why. */
export type PredictionLogMetrics = {
  records: Counter;
  summarised: Counter;
  sampledOut: Counter;
  dropped: Counter<"reason">;
  writeErrors: Counter<"code">;
  filesDeleted: Counter;
  diskBytes: Gauge;
};

/** Creates the server's metrics (`modelship_*`) and the default process metrics. */
export function createServeMetrics(): ServeMetrics {
  const registry = new Registry();
  // Unprefixed, so the usual Node.js dashboards (process_*, nodejs_*) work unchanged.
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: "modelship_requests_total",
      help: "Requests to model endpoints, by model, version, route, HTTP status code and traffic kind (client, shadow, smoke).",
      labelNames: ["model", "version", "route", "code", "traffic"],
      registers: [registry],
    }),
    requestDuration: new FastHistogram({
      name: "modelship_request_duration_seconds",
      help: "Time from receiving a model request to sending its answer, by model, version, route and traffic kind.",
      labelNames: ["model", "version", "route", "traffic"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    batchRows: new FastHistogram({
      name: "modelship_batch_rows",
      help: "Rows per onnxruntime run (a request alone or several stacked together), by model and version.",
      labelNames: ["model", "version"],
      buckets: BATCH_ROWS_BUCKETS,
      registers: [registry],
    }),
    queueWait: new FastHistogram({
      name: "modelship_queue_wait_seconds",
      help: "Time an inference waited in the batching queue before its run started, by model and version.",
      labelNames: ["model", "version"],
      buckets: QUEUE_WAIT_BUCKETS,
      registers: [registry],
    }),
    inferenceDuration: new FastHistogram({
      name: "modelship_inference_duration_seconds",
      help: "Time inside onnxruntime's session.run, by model and version.",
      labelNames: ["model", "version"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    invalidOutputs: new Counter({
      name: "modelship_invalid_outputs_total",
      help: "Inferences whose outputs failed the output checks (answered 500), by model, version, reason code and traffic kind.",
      labelNames: ["model", "version", "reason", "traffic"],
      registers: [registry],
    }),
    modelReady: new Gauge({
      name: "modelship_model_ready",
      help: "1 when the model version is loaded and serving, else 0.",
      labelNames: ["model", "version"],
      registers: [registry],
    }),
    log: createPredictionLogMetrics(registry),
  };
}

function createPredictionLogMetrics(registry: Registry): PredictionLogMetrics {
  const registers = [registry];
  return {
    records: new Counter({
      name: "modelship_prediction_log_records_total",
      help: "Prediction records written to the prediction log.",
      registers,
    }),
    summarised: new Counter({
      name: "modelship_prediction_log_summarised_total",
      help: "Prediction records written as a summary (rows, bytes) because the request was over the size limit.",
      registers,
    }),
    sampledOut: new Counter({
      name: "modelship_prediction_log_sampled_out_total",
      help: "Inferences not logged because of monitoring.sampleRate.",
      registers,
    }),
    dropped: new Counter({
      name: "modelship_prediction_log_dropped_total",
      help: "Prediction records lost, by reason: queue_full (the disk fell behind) or write_error.",
      labelNames: ["reason"],
      registers,
    }),
    writeErrors: new Counter({
      name: "modelship_prediction_log_write_errors_total",
      help: "Failed writes to the prediction log, by error code (ENOSPC, EACCES, ENOTDIR, ...).",
      labelNames: ["code"],
      registers,
    }),
    filesDeleted: new Counter({
      name: "modelship_prediction_log_files_deleted_total",
      help: "Old prediction log files deleted to keep the folder under monitoring.maxLogMB.",
      registers,
    }),
    diskBytes: new Gauge({
      name: "modelship_prediction_log_bytes",
      help: "Bytes the prediction log files in the log folder hold.",
      registers,
    }),
  };
}

const ERRNO_CODES = new Set([
  "ENOSPC",
  "EDQUOT",
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOTDIR",
  "ENOENT",
  "EIO",
  "EMFILE",
]);

/** The prediction log's observer, writing to the server's metrics (error codes from a fixed set). */
export function predictionLogObserver(m: PredictionLogMetrics): PredictionLogObserver {
  return {
    written: (n) => m.records.inc(n),
    summarised: (n) => m.summarised.inc(n),
    sampledOut: () => m.sampledOut.inc(),
    dropped: (reason, n) => {
      if (n > 0) m.dropped.labels(reason).inc(n);
    },
    writeError: (code) => m.writeErrors.labels(ERRNO_CODES.has(code) ? code : "other").inc(),
    filesDeleted: (n) => m.filesDeleted.inc(n),
    diskBytes: (b) => m.diskBytes.set(b),
  };
}
