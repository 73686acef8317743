import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server as HttpServer } from "node:http";
import { isIP } from "node:net";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import pkg from "../../package.json" with { type: "json" };
import { ModelshipError } from "../../core/errors.ts";
import { parseInferRequest, type InferRequest } from "./parse-infer-request.ts";
import { explainRequest } from "./explain-request.ts";
import { resolveModelFile } from "./resolve-model-file.ts";
import { answerClientError, ERROR_CODE_HEADER, ServeError } from "./serve-error.ts";
import { createServeMetrics, predictionLogObserver, type MetricRoute } from "./serve-metrics.ts";
import { createPredictionLog, type PredictionLog, type PredictionLogOptions } from "./prediction-log.ts";
import type { PendingPrediction } from "./format-prediction-record.ts";
import { readRoutingHeaders, type Routing } from "./read-routing-headers.ts";
import type { TrafficKind } from "../../core/monitoring/prediction-record.ts";
import {
  loadServedModel,
  type BatchingOptions,
  type InferAnswer,
  type InferenceThread,
  type ModelSource,
  type ServedModel,
} from "./served-model.ts";

/** Bounds on what one request may ask of the server. */
export type ServeLimits = {
  /** Largest request body accepted, in bytes (413 above). Default 8 MiB. */
  maxBodyBytes?: number;
  /** Most tensor elements across a request's inputs (413 above). Default 1,048,576. */
  maxElements?: number;
  /** Longest a request may take to arrive and wait before inference starts (503 after). Default 10 s. */
  timeoutMs?: number;
  /** Time a client has to send the request headers before the connection is closed. Default 10 s. */
  headersTimeoutMs?: number;
  /** Most client connections open at once; more are closed as they arrive. Default 512. */
  maxConnections?: number;
};

export type InferenceServerOptions = {
  /** Models to serve; `modelPath` is an .onnx file, a model directory or a run directory. Version defaults to "1". */
  models: Array<{ name: string; version?: string; modelPath: string }>;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  limits?: ServeLimits;
  /**
   * Most rows that concurrent requests to one model may be stacked into for a single run (default 64;
   * 1 turns stacking off). Only models whose inputs and outputs share a symbolic first dimension stack.
   */
  maxBatchRows?: number;
  /** How long a request may wait for others to stack with, in microseconds (default 0: no wait). */
  maxQueueDelayUs?: number;
  /** Row counts dispatched at once, without waiting out `maxQueueDelayUs` (default: `maxBatchRows`). */
  preferredBatchRows?: number[];
  /** Called once the socket listens, before the models finish loading (health/ready is 503 until then). */
  onListening?: (address: { url: string; port: number }) => void;
  /** Where each model's `session.run` executes: "main" (the event loop, default) or "worker" (a worker thread per model). */
  inferenceThread?: InferenceThread;
  /** Log every (sampled) inference as a JSON line in this folder; off when absent. */
  predictionLog?: Omit<PredictionLogOptions, "observer">;
};

export type InferenceServer = {
  url: string;
  port: number;
  /** Stops accepting requests, finishes those in flight, then releases the models. */
  close(): Promise<void>;
  /** True while every model is loaded and the server is not closing. */
  ready(): boolean;
  /** The HTTP server answering requests (connections handed over by the router are given to it). */
  httpServer: HttpServer;
};

export const DEFAULT_LIMITS: Required<ServeLimits> = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxElements: 1_048_576,
  timeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  maxConnections: 512,
};

type Slot = {
  source: ModelSource;
  model: ServedModel | undefined;
  /** `{"model_name":...,"model_version":...` — the constant head of every answer. */
  answerHead: string;
  inferOk: Record<TrafficKind, CounterChild>;
  inferLatency: Record<TrafficKind, HistogramChild>;
  runLatency: HistogramChild;
};

type ModelEntry = { versions: Map<string, Slot>; latest: Slot };

type ModelParams = { name: string; version?: string };

const JSON_TYPE = "application/json; charset=utf-8";

function urlFor(host: string, port: number): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${isIP(reachable) === 6 ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * The raw request, stamped with performance.now() when its headers arrived, and holding the text of
 * its body (the JSON header when binary data followed) for the prediction log.
 */
type StampedMessage = IncomingMessage & { startedAt?: number; bodyText?: string | undefined };
/** prom-client's labelled children, looked up once per label set rather than on every request. */
type CounterChild = { inc(value?: number): void };
type HistogramChild = { observe(value: number): void };

function startedAt(request: FastifyRequest): number {
  return (request.raw as StampedMessage).startedAt ?? 0;
}

/** A request body in the binary tensor data layout: the JSON header and the bytes after it. */
class BinaryBody {
  readonly json: unknown;
  readonly binary: Uint8Array;
  constructor(json: unknown, binary: Uint8Array) {
    this.json = json;
    this.binary = binary;
  }
}

function secondsSince(request: FastifyRequest): number {
  return (performance.now() - startedAt(request)) / 1000;
}

function errorBody(message: string, code: string): string {
  return JSON.stringify({ error: message, code });
}

/** Serves ONNX models over the Open Inference Protocol (V2) REST API, with Prometheus metrics. */
export async function startInferenceServer(opts: InferenceServerOptions): Promise<InferenceServer> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const metrics = createServeMetrics();
  const entries = new Map<string, ModelEntry>();
  for (const m of opts.models) {
    const version = m.version ?? "1";
    for (const [what, value] of [
      ["model name", m.name],
      ["model version", version],
    ] as const) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)) {
        throw new ModelshipError({
          code: "model-name-invalid",
          message: `${what} '${value}' cannot appear in a URL path`,
          hint: "Use letters, digits, '.', '_' and '-', starting with a letter or digit.",
        });
      }
    }
    if (entries.get(m.name)?.versions.has(version)) {
      throw new ModelshipError({
        code: "model-duplicate",
        message: `model '${m.name}' version '${version}' is given twice`,
        hint: "Give each model a distinct name or version.",
      });
    }
    const source: ModelSource = { name: m.name, version, modelPath: await resolveModelFile(m.modelPath) };
    const slot: Slot = {
      source,
      model: undefined,
      answerHead: `{"model_name":${JSON.stringify(m.name)},"model_version":${JSON.stringify(version)}`,
      inferOk: byTraffic((t) => metrics.requests.labels(m.name, version, "infer", "200", t)),
      inferLatency: byTraffic((t) => metrics.requestDuration.labels(m.name, version, "infer", t)),
      runLatency: metrics.inferenceDuration.labels(m.name, version),
    };
    metrics.modelReady.labels(m.name, version).set(0);
    const entry = entries.get(m.name);
    if (entry === undefined) entries.set(m.name, { versions: new Map([[version, slot]]), latest: slot });
    else {
      entry.versions.set(version, slot);
      entry.latest = slot;
    }
  }
  const predictionLog: PredictionLog | undefined =
    opts.predictionLog &&
    createPredictionLog({ ...opts.predictionLog, observer: predictionLogObserver(metrics.log) });
  let loaded = false;
  let closing = false;
  const isReady = () => loaded && !closing;

  function findSlot(params: ModelParams): Slot | undefined {
    const entry = entries.get(params.name);
    if (entry === undefined) return undefined;
    return params.version === undefined ? entry.latest : entry.versions.get(params.version);
  }

  function lookup(params: ModelParams): Slot {
    const slot = findSlot(params);
    if (slot !== undefined) return slot;
    const entry = entries.get(params.name);
    if (entry === undefined) {
      throw new ServeError(
        404,
        "model-not-found",
        `model '${params.name}' is not served here (models: ${[...entries.keys()].join(", ")})`,
      );
    }
    throw new ServeError(
      404,
      "version-not-found",
      `model '${params.name}' has no version '${params.version}' (versions: ${[...entry.versions.keys()].join(", ")})`,
    );
  }

  function readyModel(slot: Slot): ServedModel {
    // Requests already accepted when closing starts are still answered; fastify turns away new ones.
    if (slot.model === undefined) {
      throw new ServeError(
        503,
        "model-not-ready",
        `model '${slot.source.name}' version '${slot.source.version}' is not ready`,
      );
    }
    return slot.model;
  }

  function record(request: FastifyRequest, status: number): void {
    const route = (request.routeOptions.config as { route?: MetricRoute }).route;
    if (route === undefined) return;
    const slot = findSlot(request.params as ModelParams);
    // Unknown names share one label value, so clients cannot grow the metric without bound.
    const model = slot?.source.name ?? "_unknown";
    const version = slot?.source.version ?? "_unknown";
    const routing = readRoutingHeaders(request.headers);
    const seconds = secondsSince(request);
    metrics.requests.labels(model, version, route, String(status), routing.traffic).inc();
    metrics.requestDuration.labels(model, version, route, routing.traffic).observe(seconds);
    if (route === "infer" && slot !== undefined) logPrediction(request, slot, { routing, seconds, status });
  }

  /**
   * Queues a sampled inference for the prediction log: the request body's text the parser kept and
   * the answer's text, as they are (written later by the log's timer).
   */
  function logPrediction(
    request: FastifyRequest,
    slot: Slot,
    o: { routing: Routing; seconds: number; status: number; answered?: Answered },
  ): void {
    if (!predictionLog?.sample()) return;
    const a = o.answered;
    const pending: PendingPrediction = {
      at: Date.now(),
      id: a?.request.id ?? randomUUID(),
      model: slot.source.name,
      version: slot.source.version,
      variant: o.routing.variant,
      traffic: o.routing.traffic,
      latencyMs: o.seconds * 1000,
      status: o.status,
      bodyBytes: bodyBytesOf(request),
    };
    const text = (request.raw as StampedMessage).bodyText;
    if (a !== undefined && text !== undefined) {
      pending.rows = rowsOf(a.request);
      pending.request = text;
      pending.response = a.head;
      if (a.binary !== undefined) pending.requestBinary = a.binary;
      if (a.answer.binary.length > 0) pending.responseBinary = a.answer.binary;
    }
    predictionLog.offer(pending);
  }

  const app = Fastify({
    logger: false,
    bodyLimit: limits.maxBodyBytes,
    // The whole request (body included) must arrive within timeoutMs: a trickled body is cut off.
    requestTimeout: limits.timeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.timeoutMs),
      // Node checks both timeouts on this interval (30 s by default, far too coarse for them).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, limits.timeoutMs / 4)),
    },
    return503OnClosing: true,
    forceCloseConnections: "idle",
    clientErrorHandler: answerClientError,
  });
  app.server.maxConnections = limits.maxConnections;

  // Fastify only times requests when a logger or onResponse hook is set; a listener ahead of
  // fastify's own stamps the raw request, cheaper than running an onRequest hook for every request.
  app.server.prependListener("request", (req: StampedMessage) => {
    req.startedAt = performance.now();
    req.bodyText = undefined;
  });

  // Every body is JSON, whatever Content-Type the client sent (curl -d sends a form type).
  // Plain JSON.parse is safe here: keys such as __proto__ become own properties, and bodies are only read.
  app.removeAllContentTypeParsers();
  const parseJson = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ServeError(400, "json-invalid", `request body is not valid JSON: ${(err as Error).message}`);
    }
  };
  // The named type hits fastify's parser cache; the catch-all alone re-parses the header every time.
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    try {
      (request.raw as StampedMessage).bodyText = body as string;
      done(null, parseJson(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // Binary tensor data (application/octet-stream from Triton and KServe clients): the JSON
  // header's length comes in Inference-Header-Content-Length, the tensors' bytes follow it.
  app.addContentTypeParser("*", { parseAs: "buffer" }, (request, body, done) => {
    try {
      const bytes = body as Buffer;
      const header = request.headers["inference-header-content-length"];
      const raw = request.raw as StampedMessage;
      if (header === undefined) {
        raw.bodyText = bytes.toString("utf8");
        return done(null, parseJson(raw.bodyText));
      }
      const length = Number(header);
      if (!Number.isSafeInteger(length) || length < 0 || length > bytes.byteLength) {
        throw new ServeError(
          400,
          "binary-data-invalid",
          `Inference-Header-Content-Length ${JSON.stringify(header)} must be an integer from 0 to the body's ${bytes.byteLength} bytes`,
        );
      }
      raw.bodyText = bytes.toString("utf8", 0, length);
      done(null, new BinaryBody(parseJson(raw.bodyText), bytes.subarray(length)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    let status = 500;
    let code = "internal-error";
    let message = err.message;
    if (err instanceof ServeError) ({ status, code } = err);
    else if (err.statusCode === 413) {
      status = 413;
      code = "body-too-large";
      message = `request body is larger than the limit of ${limits.maxBodyBytes} bytes`;
    } else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      code = "bad-request";
    } else if (err.statusCode === 503) {
      status = 503;
      code = "unavailable";
    }
    record(request, status);
    if (code.startsWith("output-")) {
      const slot = findSlot(request.params as ModelParams);
      if (slot !== undefined)
        metrics.invalidOutputs
          .labels(slot.source.name, slot.source.version, code, readRoutingHeaders(request.headers).traffic)
          .inc();
    }
    if (closing) reply.header("connection", "close");
    reply.header(ERROR_CODE_HEADER, code);
    return reply.code(status).type(JSON_TYPE).send(errorBody(message, code));
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type(JSON_TYPE)
      .send(errorBody(`no endpoint ${request.method} ${request.url.split("?")[0]}`, "not-found")),
  );

  const serverMetadata = JSON.stringify({
    name: "modelship",
    version: pkg.version,
    extensions: ["binary_tensor_data"],
  });
  app.get("/v2", (_request, reply) => reply.type(JSON_TYPE).send(serverMetadata));
  app.get("/v2/health/live", (_request, reply) => reply.type(JSON_TYPE).send('{"live":true}'));
  app.get("/v2/health/ready", (_request, reply) => {
    const ready = isReady();
    return reply
      .code(ready ? 200 : 503)
      .type(JSON_TYPE)
      .send(JSON.stringify({ ready }));
  });
  app.get("/metrics", async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  const metadataHandler = (request: FastifyRequest, reply: FastifyReply) => {
    const slot = lookup(request.params as ModelParams);
    const model = readyModel(slot);
    const entry = entries.get(slot.source.name)!;
    const body = JSON.stringify({
      name: model.name,
      versions: [...entry.versions.keys()],
      platform: "onnxruntime_onnx",
      inputs: model.inputs,
      outputs: model.outputs,
    });
    record(request, 200);
    return reply.type(JSON_TYPE).send(body);
  };
  const modelReadyHandler = (request: FastifyRequest, reply: FastifyReply) => {
    const slot = lookup(request.params as ModelParams);
    const ready = slot.model !== undefined && !closing;
    record(request, ready ? 200 : 503);
    return reply
      .code(ready ? 200 : 503)
      .type(JSON_TYPE)
      .send(JSON.stringify({ name: slot.source.name, version: slot.source.version, ready }));
  };
  const inferHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const slot = lookup(request.params as ModelParams);
    const model = readyModel(slot);
    const binaryBody = request.body instanceof BinaryBody ? request.body : undefined;
    const inferRequest =
      binaryBody === undefined
        ? parseInferRequest(request.body, limits.maxElements)
        : parseInferRequest(binaryBody.json, limits.maxElements, binaryBody.binary);
    if (performance.now() - startedAt(request) > limits.timeoutMs) {
      throw new ServeError(
        503,
        "timeout",
        `the request waited more than ${limits.timeoutMs} ms before inference could start`,
      );
    }
    const answer = await model.infer(inferRequest);
    const id = inferRequest.id === undefined ? "" : `,"id":${JSON.stringify(inferRequest.id)}`;
    const body = `${slot.answerHead}${id},"outputs":${answer.outputsJson}}`;
    const routing = readRoutingHeaders(request.headers);
    const seconds = secondsSince(request);
    slot.runLatency.observe(answer.runSeconds);
    slot.inferOk[routing.traffic].inc();
    slot.inferLatency[routing.traffic].observe(seconds);
    // A keep-alive connection would hold a graceful shutdown open until the client drops it.
    if (closing) reply.header("connection", "close");
    if (answer.binary.length === 0) reply.type(JSON_TYPE).send(body);
    else {
      const head = Buffer.from(body, "utf8");
      reply.header("inference-header-content-length", head.byteLength);
      reply.type("application/octet-stream").send(Buffer.concat([head, ...answer.binary]));
    }
    // After the answer went out: the log's work never delays it.
    if (predictionLog !== undefined) {
      const answered = { request: inferRequest, answer, head: body, binary: binaryBody?.binary };
      logPrediction(request, slot, { routing, seconds, status: 200, answered });
    }
    return reply;
  };

  // Occlusion attributions per request (docs/explain.md); not counted in the inference metrics.
  const explainHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const slot = lookup(request.params as ModelParams);
    const parsed =
      request.body instanceof BinaryBody
        ? parseInferRequest(request.body.json, limits.maxElements, request.body.binary)
        : parseInferRequest(request.body, limits.maxElements);
    const explained = await explainRequest({
      model: readyModel(slot),
      modelFile: slot.source.modelPath,
      request: parsed,
      maxElements: limits.maxElements,
    });
    return reply.type(JSON_TYPE).send(`${slot.answerHead},${JSON.stringify(explained).slice(1)}`);
  };

  for (const prefix of ["/v2/models/:name", "/v2/models/:name/versions/:version"]) {
    app.get(prefix, { config: { route: "model_metadata" } }, metadataHandler);
    app.get(`${prefix}/ready`, { config: { route: "model_ready" } }, modelReadyHandler);
    app.post(`${prefix}/infer`, { config: { route: "infer" } }, inferHandler);
    app.post(`${prefix}/explain`, explainHandler);
  }

  const host = opts.host ?? "127.0.0.1";
  await app.listen({ host, port: opts.port ?? 8080 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : (opts.port ?? 8080);
  const url = urlFor(host, port);
  opts.onListening?.({ url, port });

  const slots = [...entries.values()].flatMap((e) => [...e.versions.values()]);
  const releaseModels = () => Promise.all(slots.map((s) => s.model?.close())).then(() => undefined);
  try {
    await Promise.all(
      slots.map(async (slot) => {
        const { name, version } = slot.source;
        const rows = metrics.batchRows.labels(name, version);
        const wait = metrics.queueWait.labels(name, version);
        const observer = {
          ran: (n: number) => rows.observe(n),
          waited: (seconds: number) => wait.observe(seconds),
        };
        slot.model = await loadServedModel(slot.source, {
          ...batchingOf(opts),
          observer,
          ...(opts.inferenceThread === undefined ? {} : { inferenceThread: opts.inferenceThread }),
        });
        metrics.modelReady.labels(slot.source.name, slot.source.version).set(1);
      }),
    );
  } catch (err) {
    closing = true;
    await app.close();
    await releaseModels();
    await predictionLog?.close();
    throw err;
  }
  loaded = true;

  return {
    url,
    port,
    ready: isReady,
    httpServer: app.server,
    async close() {
      if (closing) return;
      closing = true;
      await app.close();
      await releaseModels();
      await predictionLog?.close();
    },
  };
}

const TRAFFIC_KINDS = ["client", "shadow", "smoke"] as const;

function byTraffic<T>(make: (traffic: TrafficKind) => T): Record<TrafficKind, T> {
  return Object.fromEntries(TRAFFIC_KINDS.map((t) => [t, make(t)])) as Record<TrafficKind, T>;
}

/** An answered inference: the request, the model's answer, the answer's JSON text and the request's binary tensor data. */
type Answered = { request: InferRequest; answer: InferAnswer; head: string; binary: Uint8Array | undefined };

/** Rows of a request: the first input's first dimension (1 for a scalar). */
function rowsOf(request: InferRequest): number {
  const shape = request.inputs[0]?.shape;
  return shape === undefined ? 0 : (shape[0] ?? 1);
}

/** The request body's size from its Content-Length (0 when it came chunked). */
function bodyBytesOf(request: FastifyRequest): number {
  const n = Number(request.headers["content-length"]);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function batchingOf(opts: InferenceServerOptions): BatchingOptions {
  const { maxBatchRows, maxQueueDelayUs, preferredBatchRows } = opts;
  return {
    ...(maxBatchRows === undefined ? {} : { maxBatchRows }),
    ...(maxQueueDelayUs === undefined ? {} : { maxQueueDelayUs }),
    ...(preferredBatchRows === undefined ? {} : { preferredBatchRows }),
  };
}
