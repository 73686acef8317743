import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RawPredictionRecordSchema } from "../../../core/monitoring/prediction-record.ts";
import { parsePredictionLine } from "../../../adapters/monitoring/read-prediction-log.ts";
import {
  formatPredictionRecord,
  isoTime,
  millisText,
  type PendingPrediction,
} from "../../../runners/serve/format-prediction-record.ts";
import {
  createPredictionLog,
  PREDICTION_LOG_DEFAULTS,
  type PredictionLogObserver,
} from "../../../runners/serve/prediction-log.ts";
import { parseServeArgs } from "../../../runners/serve/main.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { predictionLogArgs } from "../../../core/config/prediction-log-args.ts";
import { nodeLogFiles } from "../../../runners/serve/rotating-log-writer.ts";
import { startInferenceServer, type InferenceServer } from "../../../runners/serve/server.ts";
import { get, post, sample } from "./serve-helpers.ts";
import { rawInferBody, writePenguinsModel, type PenguinsModel } from "./penguins-model.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "modelship-plog-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const REQUEST = {
  id: "req-1",
  inputs: [
    { name: "bill_length_mm", datatype: "FP32", shape: [2], data: [39.1, null] },
    { name: "island", datatype: "BYTES", shape: [2], data: ["torgersen", "biscoe"] },
  ],
};
const RESPONSE = {
  model_name: "penguins",
  model_version: "1.2.0",
  id: "req-1",
  outputs: [
    { name: "probabilities", datatype: "FP32", shape: [2, 2], data: [0.25, 0.75, 0.5, 0.5] },
    { name: "label", datatype: "BYTES", shape: [2], data: ["a", "b"] },
  ],
};

/** A prediction of a request that failed: no texts. */
function failedPending(): PendingPrediction {
  const { request: _request, response: _response, ...rest } = pending();
  return rest;
}

function pending(over: Partial<PendingPrediction> = {}): PendingPrediction {
  const request = JSON.stringify(REQUEST);
  return {
    at: Date.UTC(2026, 0, 2, 3, 4, 5),
    id: "req-1",
    model: "penguins",
    version: "1.2.0",
    variant: "stable",
    traffic: "client",
    latencyMs: 1.23456,
    status: 200,
    bodyBytes: request.length,
    rows: 2,
    request,
    response: JSON.stringify(RESPONSE),
    ...over,
  };
}

type Counts = Record<string, number>;
function countingObserver(): { observer: PredictionLogObserver; counts: Counts } {
  const counts: Counts = {};
  const add = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);
  return {
    counts,
    observer: {
      written: (n) => add("written", n),
      summarised: (n) => add("summarised", n),
      sampledOut: () => add("sampledOut"),
      dropped: (reason, n) => add(`dropped:${reason}`, n),
      writeError: (code) => add(`error:${code}`),
      filesDeleted: (n) => add("deleted", n),
      diskBytes: (b) => (counts.diskBytes = b),
    },
  };
}

async function readLines(dir: string): Promise<unknown[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".jsonl")).sort();
  const text = (await Promise.all(names.map((n) => readFile(join(dir, n), "utf8")))).join("");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as unknown);
}

/** Little-endian bytes of float32 values, as the binary tensor extension sends them. */
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

/** The folder's records as drift reads them (the raw format turned into rows). */
async function readRecords(dir: string) {
  return (await readLines(dir)).map((l) => {
    const record = parsePredictionLine(JSON.stringify(l));
    if (record === undefined) throw new Error(`not a prediction record: ${JSON.stringify(l)}`);
    return record;
  });
}

describe("formatPredictionRecord", () => {
  it("writes the request and the answer as sent, and readers get one row object per request row", () => {
    const { line, summarised } = formatPredictionRecord(pending(), 64 * 1024);
    expect(summarised).toBe(false);
    expect(line).toBe(
      `{"v":2,"ts":"2026-01-02T03:04:05.000Z","id":"req-1","model":"penguins","version":"1.2.0","variant":"stable","traffic":"client","latencyMs":1.235,"status":200,"request":${JSON.stringify(REQUEST)},"response":${JSON.stringify(RESPONSE)}}`,
    );
    expect(RawPredictionRecordSchema.parse(JSON.parse(line)).request).toEqual(REQUEST);
    expect(parsePredictionLine(line)).toEqual({
      ts: "2026-01-02T03:04:05.000Z",
      id: "req-1",
      model: "penguins",
      version: "1.2.0",
      variant: "stable",
      traffic: "client",
      latencyMs: 1.235,
      status: 200,
      inputs: [
        { bill_length_mm: 39.1, island: "torgersen" },
        { bill_length_mm: null, island: "biscoe" },
      ],
      outputs: [
        { probabilities: [0.25, 0.75], label: "a" },
        { probabilities: [0.5, 0.5], label: "b" },
      ],
    });
  });

  it.each([
    ["a body over the limit", pending({ bodyBytes: 5000 }), 4096],
    ["a record that would come out over the limit", pending(), 300],
  ])("keeps only a summary for %s", (_what, p, limit) => {
    const { line, summarised } = formatPredictionRecord(p, limit);
    expect(summarised).toBe(true);
    const record = parsePredictionLine(line);
    expect(record?.summary).toEqual({ rows: 2, bytes: p.bodyBytes });
    expect(record?.inputs).toBeUndefined();
    expect(record?.outputs).toBeUndefined();
  });

  it.each([
    [
      "an encoded tensor, value j of a row as input[j], nested data flattened",
      {
        inputs: [
          {
            name: "input",
            datatype: "FP32",
            shape: [2, 3],
            data: [
              [1, 2, 3],
              [4, 5.5, 6],
            ],
          },
        ],
      },
      undefined,
      [
        { "input[0]": 1, "input[1]": 2, "input[2]": 3 },
        { "input[0]": 4, "input[1]": 5.5, "input[2]": 6 },
      ],
    ],
    [
      "INT64 beyond 2^53 as the nearest number, BOOL as booleans",
      {
        inputs: [
          { name: "n", datatype: "INT64", shape: [2], data: [7, 9007199254740993] },
          { name: "b", datatype: "BOOL", shape: [2], data: [true, 0] },
        ],
      },
      undefined,
      [
        { n: 7, b: true },
        { n: 9007199254740992, b: false },
      ],
    ],
    [
      "an input whose rows do not line up with the first one's left out",
      {
        inputs: [
          { name: "a", datatype: "FP32", shape: [2], data: [1, 2] },
          { name: "odd", datatype: "FP32", shape: [3], data: [1, 2, 3] },
        ],
      },
      undefined,
      [{ a: 1 }, { a: 2 }],
    ],
    [
      "binary tensor data (FP32 with a NaN as null, BOOL, BYTES) after the JSON header",
      {
        inputs: [
          { name: "x", datatype: "FP32", shape: [2], parameters: { binary_data_size: 8 } },
          { name: "b", datatype: "BOOL", shape: [2], parameters: { binary_data_size: 2 } },
          { name: "s", datatype: "BYTES", shape: [2], parameters: { binary_data_size: 11 } },
        ],
      },
      Buffer.concat([
        f32(0.5, Number.NaN),
        Buffer.from([1, 0]),
        Buffer.from([2, 0, 0, 0, 0x68, 0x69, 1, 0, 0, 0, 0x21]),
      ]),
      [
        { x: 0.5, b: true, s: "hi" },
        { x: null, b: false, s: "!" },
      ],
    ],
  ] as const)("reads the request's rows for %s", (_what, request, binary, rows) => {
    const text = JSON.stringify(request);
    const p = pending({
      request: text,
      bodyBytes: text.length + (binary?.byteLength ?? 0),
      ...(binary === undefined ? {} : { requestBinary: binary }),
      response: "{}",
    });
    expect(parsePredictionLine(formatPredictionRecord(p, 4096).line)?.inputs).toEqual(rows);
  });

  it("reads outputs sent back as binary data, and puts a pretty-printed request on one line", () => {
    const response = JSON.stringify({
      outputs: [{ name: "prediction", datatype: "FP32", shape: [2, 1], parameters: { binary_data_size: 8 } }],
    });
    const request = JSON.stringify(REQUEST, null, 2).replace(/\n/g, "\r\n");
    const { line } = formatPredictionRecord(
      pending({ request, response, responseBinary: [f32(1.5), f32(-2)] }),
      4096,
    );
    expect(line).not.toMatch(/[\r\n]/);
    const record = parsePredictionLine(line);
    expect(record?.inputs).toHaveLength(2);
    expect(record?.outputs).toEqual([{ prediction: 1.5 }, { prediction: -2 }]);
  });

  it("logs failed requests without the request", () => {
    const { request: _r, response: _s, ...failed } = pending({ status: 400 });
    const line = formatPredictionRecord(failed, 4096).line;
    expect(JSON.parse(line)).not.toHaveProperty("request");
    const record = parsePredictionLine(line);
    expect(record?.status).toBe(400);
    expect(record?.inputs).toBeUndefined();
  });
});

describe("isoTime", () => {
  it.each([
    Date.UTC(2026, 0, 2, 3, 4, 5, 0),
    Date.UTC(2026, 0, 2, 3, 4, 5, 7),
    Date.UTC(2026, 0, 2, 3, 4, 5, 42),
    Date.UTC(2026, 0, 2, 3, 4, 5, 999),
    Date.UTC(2026, 0, 2, 3, 4, 6, 1),
    Date.UTC(1969, 11, 31, 23, 59, 59, 250),
    Date.UTC(2026, 0, 2, 3, 4, 5, 7) + 0.6,
    Date.UTC(12026, 0, 2, 3, 4, 5, 7),
  ])("writes %d as toISOString does", (ms) => {
    expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it("throws for a time out of range, as toISOString does", () => {
    expect(() => isoTime(NaN)).toThrow(RangeError);
  });

  it.each([
    0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.12, 1, 1.2345, 1.2355, 9.9996, 10.05, 1234.5, 86_400_000.001, -1.5,
  ])("writes a latency of %d ms as the number rounded to the microsecond", (ms) => {
    expect(millisText(ms)).toBe(String(Math.round(ms * 1000) / 1000));
  });

  it("writes 10,000 random latencies as the number rounded to the microsecond", () => {
    let seed = 7;
    for (let i = 0; i < 10_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const ms = (seed / 2_147_483_648) * 10 ** ((i % 6) - 1);
      expect(millisText(ms)).toBe(String(Math.round(ms * 1000) / 1000));
    }
  });
});

describe("createPredictionLog", () => {
  it("writes each record byte for byte as formatPredictionRecord formats it", async () => {
    const limit = 1200;
    const request = JSON.stringify(REQUEST);
    const nearLimit = JSON.stringify({ ...REQUEST, pad: "x".repeat(limit - 80 - request.length) });
    const cases: Array<[string, PendingPrediction]> = [
      ["a plain record", pending()],
      ["a failed request, no texts", failedPending()],
      ["a body over the limit", pending({ bodyBytes: limit + 1 })],
      ["texts under the limit that the head takes over it", pending({ request: nearLimit, response: "{}" })],
      [
        "a pretty-printed request",
        pending({ request: JSON.stringify(REQUEST, null, 2).replace(/\n/g, "\r\n") }),
      ],
      [
        "multi-byte text and an id to escape",
        pending({ id: 'a"b\\c-ü😀', model: "pingüino", version: 'v"2' }),
      ],
      ["binary data in and out", pending({ requestBinary: f32(1, 2), responseBinary: [f32(3), f32(4, 5)] })],
      ["a latency to round", pending({ latencyMs: 0.0105 })],
    ];
    const dir = await tempDir();
    const { observer, counts } = countingObserver();
    const log = createPredictionLog({ dir, observer, maxRecordBytes: limit });
    for (const [, p] of cases) log.offer(p);
    await log.close();
    const names = (await readdir(dir)).filter((n) => n.endsWith(".jsonl"));
    const text = (await Promise.all(names.map((n) => readFile(join(dir, n), "utf8")))).join("");
    const expected = cases.map(([, p]) => formatPredictionRecord(p, limit));
    expect(text.split("\n").slice(0, -1)).toEqual(expected.map((e) => e.line));
    expect(expected.map((e) => e.summarised)).toEqual([false, false, true, true, false, false, false, false]);
    expect(counts.summarised).toBe(2);
  });

  it("keeps every line whole across its buffers: multi-byte text, records larger than a buffer, rotation", async () => {
    const dir = await tempDir();
    const { observer, counts } = countingObserver();
    const log = createPredictionLog({ dir, observer, maxRecordBytes: 1 << 20, rotateBytes: 400_000 });
    const wide = JSON.stringify({ ...REQUEST, id: "ünï-😀", pad: "€".repeat(120_000) });
    const ids: string[] = [];
    for (let i = 0; i < 600; i++) {
      const id = `${i}-ä😀`;
      ids.push(id);
      log.offer(pending(i % 100 === 7 ? { id, request: wide, bodyBytes: 400_000 } : { id }));
      if (i % 250 === 249) await log.flush();
    }
    await log.close();
    const lines = (await readLines(dir)) as Array<{ id: string; request: { pad?: string } }>;
    expect(lines.map((l) => l.id)).toEqual(ids);
    expect(lines[7]?.request.pad).toBe("€".repeat(120_000));
    expect((await readdir(dir)).length).toBeGreaterThan(1);
    expect(counts.written).toBe(600);
  });

  it("samples at the configured rate (a seeded draw) and counts what it leaves out", async () => {
    const dir = await tempDir();
    const { observer, counts } = countingObserver();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const log = createPredictionLog({ dir, sampleRate: 0.25, random, observer });
    let sampled = 0;
    for (let i = 0; i < 4000; i++) {
      if (log.sample()) {
        sampled++;
        log.offer(pending({ id: `r${i}` }));
      }
    }
    await log.close();
    expect(sampled / 4000).toBeGreaterThan(0.22);
    expect(sampled / 4000).toBeLessThan(0.28);
    expect(counts.sampledOut).toBe(4000 - sampled);
    expect(await readLines(dir)).toHaveLength(sampled);
    expect(counts.written).toBe(sampled);
  });

  it("rotates by size and deletes the oldest files to keep the folder under its bound", async () => {
    const dir = await tempDir();
    // A log file of an earlier server in the same folder, older than anything written now.
    await writeFile(join(dir, "predictions-2000-01-01T00-00-00.000Z-1-0001.jsonl"), "x".repeat(3000) + "\n");
    await writeFile(join(dir, "notes.txt"), "not a log file\n");
    const { observer, counts } = countingObserver();
    const log = createPredictionLog({ dir, rotateBytes: 2000, maxLogBytes: 8000, observer });
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10; i++) log.offer(pending({ id: `${round}-${i}` }));
      await log.flush();
    }
    await log.close();
    const names = (await readdir(dir)).sort();
    expect(names).toContain("notes.txt");
    expect(names).not.toContain("predictions-2000-01-01T00-00-00.000Z-1-0001.jsonl");
    const logs = names.filter((n) => n.endsWith(".jsonl"));
    const sizes = await Promise.all(logs.map(async (n) => (await stat(join(dir, n))).size));
    for (const s of sizes) expect(s).toBeLessThanOrEqual(2000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(8000);
    expect(counts.deleted).toBeGreaterThan(1);
    expect(counts.diskBytes).toBe(sizes.reduce((a, b) => a + b, 0));
    // What is left is the newest records, each line whole.
    const lines = (await readLines(dir)) as Array<{ id: string }>;
    expect(lines.at(-1)?.id).toBe("9-9");
    expect(counts.written).toBe(100);
  });

  it("counts and warns once when the disk is full (writes to /dev/full), and keeps going once it is not", async () => {
    const dir = await tempDir();
    const { observer, counts } = countingObserver();
    const warnings: string[] = [];
    let full = true;
    const log = createPredictionLog({
      dir,
      observer,
      warn: (m) => warnings.push(m),
      files: {
        ...nodeLogFiles,
        append: (file, text) => (full ? appendFile("/dev/full", text) : nodeLogFiles.append(file, text)),
      },
    });
    for (let i = 0; i < 3; i++) {
      log.offer(pending());
      log.offer(pending());
      await log.flush();
    }
    expect(counts["error:ENOSPC"]).toBe(3);
    expect(counts["dropped:write_error"]).toBe(6);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ENOSPC/);
    full = false;
    log.offer(pending({ id: "after" }));
    await log.close();
    expect(((await readLines(dir)) as Array<{ id: string }>).map((r) => r.id)).toEqual(["after"]);
  });

  it("starts a new file in a new folder when the folder is deleted while it runs", async () => {
    const dir = join(await tempDir(), "log");
    const { observer, counts } = countingObserver();
    const warnings: string[] = [];
    const log = createPredictionLog({ dir, observer, warn: (m) => warnings.push(m) });
    log.offer(pending({ id: "before" }));
    await log.flush();
    await rm(dir, { recursive: true });
    log.offer(pending({ id: "lost" }));
    await log.flush();
    log.offer(pending({ id: "after" }));
    await log.close();
    expect(counts["error:ENOENT"]).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(((await readLines(dir)) as Array<{ id: string }>).map((r) => r.id)).toEqual(["after"]);
  });

  it("writes one batch per flush: lines offered during a slow write wait for the next flush", async () => {
    const dir = await tempDir();
    const appends: Array<{ lines: number; done: () => void }> = [];
    const log = createPredictionLog({
      dir,
      flushIntervalMs: 3_600_000,
      files: {
        ...nodeLogFiles,
        append: (file, bytes) =>
          new Promise<void>((resolve) => {
            const lines = Buffer.from(bytes).toString("utf8").split("\n").length - 1;
            appends.push({ lines, done: () => void nodeLogFiles.append(file, bytes).then(resolve) });
          }),
      },
    });
    const ticks = () => new Promise((r) => setTimeout(r, 20));
    const appended = async (n: number) => {
      while (appends.length < n) await new Promise((r) => setTimeout(r, 5));
    };
    log.offer(pending({ id: "a" }));
    const first = log.flush();
    await appended(1);
    log.offer(pending({ id: "b" }));
    log.offer(pending({ id: "c" }));
    const second = log.flush();
    expect(log.flush()).toBe(second);
    appends[0]!.done();
    await first;
    await appended(2);
    log.offer(pending({ id: "d" }));
    appends[1]!.done();
    await second;
    await ticks();
    expect(appends.map((a) => a.lines)).toEqual([1, 2]);
    const closed = log.close();
    await appended(3);
    appends[2]!.done();
    await closed;
    expect(appends.map((a) => a.lines)).toEqual([1, 2, 1]);
    expect(((await readLines(dir)) as Array<{ id: string }>).map((r) => r.id)).toEqual(["a", "b", "c", "d"]);
  });

  it("drops records beyond the queue bound instead of growing memory", async () => {
    const dir = await tempDir();
    const { observer, counts } = countingObserver();
    const log = createPredictionLog({ dir, maxPendingRecords: 5, observer });
    for (let i = 0; i < 8; i++) log.offer(pending());
    await log.close();
    expect(counts["dropped:queue_full"]).toBe(3);
    expect(await readLines(dir)).toHaveLength(5);
  });
});

describe("a server with a prediction log", () => {
  let model: PenguinsModel;
  let server: InferenceServer | undefined;
  let root: string;

  beforeAll(async () => {
    root = await tempDir();
    model = await writePenguinsModel(join(root, "model"));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("logs raw features, outputs, the routing headers' variant and traffic, and labels metrics by traffic", async () => {
    const dir = join(root, "log-ok");
    server = await startInferenceServer({
      models: [{ name: "penguins", version: "3.0.0", modelPath: model.dir }],
      port: 0,
      predictionLog: { dir },
    });
    const rows = model.rows.slice(0, 3);
    const url = `${server.url}/v2/models/penguins/infer`;
    const direct = await post(url, rawInferBody(rows, model.preprocessor, "direct-1"));
    expect(direct.status).toBe(200);
    const shadow = await post(url, rawInferBody(rows.slice(0, 1), model.preprocessor), {
      "content-type": "application/json",
      "x-modelship-variant": "candidate",
      "x-modelship-version": "3.0.0",
      "x-modelship-traffic": "shadow",
    });
    expect(shadow.status).toBe(200);
    const bad = await post(url, { inputs: [{ name: "island", datatype: "BYTES", shape: [1], data: [1] }] });
    expect(bad.status).toBe(400);
    const metrics = (await get(`${server.url}/metrics`)).text;
    await server.close();
    server = undefined;

    const records = await readRecords(dir);
    expect(records.map((r) => [r.id === "direct-1", r.variant, r.traffic, r.status])).toEqual([
      [true, "stable", "client", 200],
      [false, "candidate", "shadow", 200],
      [false, "stable", "client", 400],
    ]);
    const first = records[0]!;
    expect(first.inputs).toEqual(
      rows.map((r) => Object.fromEntries(model.features.map((f) => [f, r[f] ?? null]))),
    );
    expect(first.outputs?.map((o) => Object.keys(o))).toEqual([
      ["probabilities", "label"],
      ["probabilities", "label"],
      ["probabilities", "label"],
    ]);
    expect(records[2]!.inputs).toBeUndefined();

    const series = (code: string, traffic: string) =>
      sample(
        metrics,
        `modelship_requests_total{model="penguins",version="3.0.0",route="infer",code="${code}",traffic="${traffic}"}`,
      );
    expect([series("200", "client"), series("200", "shadow"), series("400", "client")]).toEqual([1, 1, 1]);
    expect(sample(metrics, 'modelship_batch_rows_count{model="penguins",version="3.0.0"}')).toBe(2);
    expect(sample(metrics, 'modelship_batch_rows_sum{model="penguins",version="3.0.0"}')).toBe(4);
    expect(sample(metrics, 'modelship_queue_wait_seconds_count{model="penguins",version="3.0.0"}')).toBe(2);
  });

  it("logs a request over the size limit as a summary of its rows and bytes", async () => {
    const dir = join(root, "log-big");
    server = await startInferenceServer({
      models: [{ name: "penguins", version: "3.0.0", modelPath: model.dir }],
      port: 0,
      predictionLog: { dir, maxRecordBytes: 4096 },
    });
    const url = `${server.url}/v2/models/penguins/infer`;
    const big = JSON.stringify(rawInferBody(model.rows.slice(0, 200), model.preprocessor));
    expect(big.length).toBeGreaterThan(4096);
    expect((await post(url, big)).status).toBe(200);
    expect((await post(url, rawInferBody(model.rows.slice(0, 2), model.preprocessor))).status).toBe(200);
    let metrics = "";
    // Written by the log's timer, off the request path: wait until both records are on disk.
    for (let i = 0; i < 50 && sample(metrics, "modelship_prediction_log_records_total") !== 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      metrics = (await get(`${server.url}/metrics`)).text;
    }
    await server.close();
    server = undefined;
    const records = await readRecords(dir);
    expect(records[0]).toMatchObject({ status: 200, summary: { rows: 200, bytes: big.length } });
    expect(records[0]).not.toHaveProperty("inputs");
    expect(records[1]?.inputs).toHaveLength(2);
    expect(sample(metrics, "modelship_prediction_log_summarised_total")).toBe(1);
  });

  it("logs a binary tensor request and a binary answer, read back as the same rows as JSON ones", async () => {
    const dir = join(root, "log-binary");
    server = await startInferenceServer({
      models: [{ name: "penguins", version: "3.0.0", modelPath: model.dir }],
      port: 0,
      predictionLog: { dir },
    });
    const rows = model.rows.slice(0, 3);
    const json = rawInferBody(rows, model.preprocessor) as { inputs: Array<Record<string, unknown>> };
    const tensors: Buffer[] = [];
    for (const input of json.inputs) {
      const data = input.data as Array<string | number | null>;
      const bytes =
        input.datatype === "FP32"
          ? Buffer.from(Float32Array.from(data, (v) => (v === null ? Number.NaN : Number(v))).buffer)
          : Buffer.concat(
              data.map((v) => {
                const text = Buffer.from(String(v), "utf8");
                const length = Buffer.alloc(4);
                length.writeUInt32LE(text.length);
                return Buffer.concat([length, text]);
              }),
            );
      tensors.push(bytes);
      delete input.data;
      input.parameters = { binary_data_size: bytes.byteLength };
    }
    const head = Buffer.from(JSON.stringify({ ...json, parameters: { binary_data_output: true } }), "utf8");
    const res = await fetch(`${server.url}/v2/models/penguins/infer`, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        "inference-header-content-length": String(head.byteLength),
      },
      body: Buffer.concat([head, ...tensors]),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("inference-header-content-length")).not.toBeNull();
    const jsonAnswer = await post(
      `${server.url}/v2/models/penguins/infer`,
      rawInferBody(rows, model.preprocessor),
    );
    expect(jsonAnswer.status).toBe(200);
    await server.close();
    server = undefined;

    const [binary, plain] = await readRecords(dir);
    const float = (v: unknown) => (typeof v === "number" ? Math.fround(v) : v);
    const asFloat32 = (r: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, float(v)]));
    expect(binary?.inputs).toEqual(plain?.inputs?.map(asFloat32));
    expect(binary?.outputs?.map((o) => o.label)).toEqual(plain?.outputs?.map((o) => o.label));
    expect(binary?.outputs?.[0]?.probabilities).toHaveLength(3);
  });

  it("answers every request when the log folder cannot be created, counting the failed writes", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "");
    const warnings: string[] = [];
    server = await startInferenceServer({
      models: [{ name: "penguins", modelPath: model.dir }],
      port: 0,
      predictionLog: { dir: join(file, "predictions"), warn: (m) => warnings.push(m) },
    });
    const url = `${server.url}/v2/models/penguins/infer`;
    for (let i = 0; i < 3; i++) {
      const res = await post(url, rawInferBody(model.rows.slice(i, i + 1), model.preprocessor));
      expect(res.status).toBe(200);
    }
    // Past the flush interval, so the timer has tried to write.
    await new Promise((r) => setTimeout(r, 500));
    const metrics = (await get(`${server.url}/metrics`)).text;
    expect(
      sample(metrics, 'modelship_prediction_log_write_errors_total{code="ENOTDIR"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'modelship_prediction_log_dropped_total{reason="write_error"}')).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot write to .*a-file/);
  });
});

describe("the prediction log's settings", () => {
  it("parses the server's flags into bytes, and the config's monitoring into those flags", () => {
    const config = ConfigSchema.parse({ monitoring: { sampleRate: 0.5, maxLogMB: 20, rotateMB: 2.5 } });
    const parsed = parseServeArgs([
      "--model",
      "m.onnx",
      "--prediction-log",
      "/tmp/p",
      ...predictionLogArgs(config.monitoring),
    ]);
    expect(parsed.predictionLog).toEqual({
      dir: "/tmp/p",
      sampleRate: 0.5,
      maxLogBytes: 20 * 1024 * 1024,
      rotateBytes: 2.5 * 1024 * 1024,
      maxRecordBytes: 64 * 1024,
    });
    expect(parseServeArgs(["--model", "m.onnx"]).predictionLog).toBeUndefined();
  });

  it.each([
    [["--log-sample-rate", "0.5"], /--log-sample-rate needs --prediction-log DIR/],
    [
      ["--prediction-log", "d", "--log-sample-rate", "1.5"],
      /--log-sample-rate must be a number from 0 to 1, got '1.5'/,
    ],
    [["--prediction-log", "d", "--log-max-mb", "0"], /--log-max-mb must be a number from 1/],
    [["--prediction-log", "d", "--log-max-record-kb", "many"], /--log-max-record-kb must be a number/],
  ])("rejects %j", (args, message) => {
    expect(() => parseServeArgs(["--model", "m.onnx", ...args])).toThrow(message);
  });

  it.each([
    [{ sampleRate: 2 }, "sampleRate"],
    [{ maxLogMB: 5, rotateMB: 10 }, "rotateMB"],
    [{ maxRecordKB: 0 }, "maxRecordKB"],
  ])("rejects monitoring %j in the config, naming the key", (monitoring, key) => {
    const r = ConfigSchema.safeParse({ monitoring });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("."))).toContain(`monitoring.${key}`);
  });

  it("states every default", () => {
    expect(ConfigSchema.parse({}).monitoring).toMatchObject({
      sampleRate: 1,
      maxLogMB: 100,
      rotateMB: 10,
      maxRecordKB: 64,
    });
    expect(PREDICTION_LOG_DEFAULTS).toMatchObject({
      sampleRate: 1,
      maxLogBytes: 100 * 1024 * 1024,
      rotateBytes: 10 * 1024 * 1024,
      maxRecordBytes: 64 * 1024,
    });
  });
});
