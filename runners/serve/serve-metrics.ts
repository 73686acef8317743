import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Latency buckets in seconds, from half a millisecond (a small model on loopback) to 10 s. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The route a request counter sample belongs to. */
export type MetricRoute = "infer" | "model_metadata" | "model_ready";

/** Prometheus metrics of one inference server, in a registry of its own. */
export type ServeMetrics = {
  registry: Registry;
  requests: Counter<"model" | "version" | "route" | "code">;
  requestDuration: Histogram<"model" | "version" | "route">;
  inferenceDuration: Histogram<"model" | "version">;
  modelReady: Gauge<"model" | "version">;
  invalidOutputs: Counter<"model" | "version" | "reason">;
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
      help: "Requests to model endpoints, by model, version, route and HTTP status code.",
      labelNames: ["model", "version", "route", "code"],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: "modelship_request_duration_seconds",
      help: "Time from receiving a model request to sending its answer, by model, version and route.",
      labelNames: ["model", "version", "route"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    inferenceDuration: new Histogram({
      name: "modelship_inference_duration_seconds",
      help: "Time inside onnxruntime's session.run, by model and version.",
      labelNames: ["model", "version"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    invalidOutputs: new Counter({
      name: "modelship_invalid_outputs_total",
      help: "Inferences whose outputs failed the output checks (answered 500), by model, version and reason code.",
      labelNames: ["model", "version", "reason"],
      registers: [registry],
    }),
    modelReady: new Gauge({
      name: "modelship_model_ready",
      help: "1 when the model version is loaded and serving, else 0.",
      labelNames: ["model", "version"],
      registers: [registry],
    }),
  };
}
