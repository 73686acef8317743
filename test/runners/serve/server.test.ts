import { request as httpRequest } from "node:http";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelshipError } from "../../../core/errors.ts";
import { startInferenceServer, type InferenceServer } from "../../../runners/serve/server.ts";
import { classifierExpected } from "../../fixtures/onnx/make-models.ts";
import { get, makeFixtures, post, sample, type Fixtures } from "./serve-helpers.ts";

let fx: Fixtures;
let server: InferenceServer;
let url: string;

const LIMITS = { maxBodyBytes: 64 * 1024, maxElements: 1000 };

beforeAll(async () => {
  fx = await makeFixtures();
  server = await startInferenceServer({
    models: [
      { name: "clf", modelPath: fx.files.classifier },
      { name: "add", modelPath: fx.files["fixed-add"] },
      { name: "types", modelPath: fx.files.types },
      { name: "text", modelPath: fx.files.strings },
      { name: "multi", version: "1", modelPath: fx.files.classifier },
      { name: "multi", version: "2", modelPath: fx.files.classifier },
    ],
    port: 0,
    limits: LIMITS,
  });
  url = server.url;
});

afterAll(async () => {
  await server?.close();
  await fx?.cleanup();
});

const goodClf = { inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] };

function expectClose(actual: unknown, expected: number[]): void {
  expect(Array.isArray(actual)).toBe(true);
  const a = actual as number[];
  expect(a).toHaveLength(expected.length);
  a.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5));
}

describe("server and health endpoints", () => {
  it.each([
    ["/v2", 200, { name: "modelship", extensions: ["binary_tensor_data"] }],
    ["/v2/health/live", 200, { live: true }],
    ["/v2/health/ready", 200, { ready: true }],
    ["/v2/models/clf/ready", 200, { name: "clf", version: "1", ready: true }],
    ["/v2/models/multi/versions/1/ready", 200, { name: "multi", version: "1", ready: true }],
  ])("GET %s → %i", async (path, status, body) => {
    const res = await get(`${url}${path}`);
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.body).toMatchObject(body);
  });

  it("reports ready() while serving", () => {
    expect(server.ready()).toBe(true);
  });
});

describe("model metadata", () => {
  it.each([
    [
      "/v2/models/clf",
      {
        name: "clf",
        versions: ["1"],
        platform: "onnxruntime_onnx",
        inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4] }],
        outputs: [{ name: "probabilities", datatype: "FP32", shape: [-1, 3] }],
      },
    ],
    [
      "/v2/models/add/versions/1",
      {
        name: "add",
        versions: ["1"],
        platform: "onnxruntime_onnx",
        inputs: [
          { name: "a", datatype: "FP32", shape: [2, 2] },
          { name: "b", datatype: "FP32", shape: [2, 2] },
        ],
        outputs: [{ name: "sum", datatype: "FP32", shape: [2, 2] }],
      },
    ],
    [
      "/v2/models/types",
      {
        name: "types",
        versions: ["1"],
        platform: "onnxruntime_onnx",
        inputs: [
          { name: "i64", datatype: "INT64", shape: [-1] },
          { name: "f64", datatype: "FP64", shape: [-1] },
          { name: "i32", datatype: "INT32", shape: [-1] },
          { name: "flag", datatype: "BOOL", shape: [-1] },
          { name: "u8", datatype: "UINT8", shape: [-1] },
        ],
        outputs: [
          { name: "i64_doubled", datatype: "INT64", shape: [-1] },
          { name: "i64_positive", datatype: "BOOL", shape: [-1] },
          { name: "f64_plus_one", datatype: "FP64", shape: [-1] },
          { name: "i32_out", datatype: "INT32", shape: [-1] },
          { name: "flag_not", datatype: "BOOL", shape: [-1] },
          { name: "u8_out", datatype: "UINT8", shape: [-1] },
        ],
      },
    ],
    [
      "/v2/models/text",
      {
        name: "text",
        versions: ["1"],
        platform: "onnxruntime_onnx",
        inputs: [{ name: "text", datatype: "BYTES", shape: [-1] }],
        outputs: [{ name: "text_out", datatype: "BYTES", shape: [-1] }],
      },
    ],
    ["/v2/models/multi", { name: "multi", versions: ["1", "2"] }],
  ])("GET %s", async (path, expected) => {
    const res = await get(`${url}${path}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(expected);
  });
});

describe("infer", () => {
  it("runs the classifier on flat and nested data, echoing the id", async () => {
    const rows = [
      [1, 2, 3, 4],
      [0, -1, 0.5, 2],
    ];
    for (const data of [rows, rows.flat()]) {
      const res = await post(`${url}/v2/models/clf/infer`, {
        id: "req-7",
        inputs: [{ name: "input", shape: [2, 4], datatype: "FP32", data }],
      });
      expect(res.status).toBe(200);
      const body = res.body as {
        model_name: string;
        model_version: string;
        id: string;
        outputs: Array<Record<string, unknown>>;
      };
      expect(body).toMatchObject({ model_name: "clf", model_version: "1", id: "req-7" });
      expect(body.outputs).toHaveLength(1);
      expect(body.outputs[0]).toMatchObject({ name: "probabilities", datatype: "FP32", shape: [2, 3] });
      expectClose(body.outputs[0]!.data, rows.flatMap(classifierExpected));
    }
  });

  it("answers without an id when none was sent", async () => {
    const res = await post(`${url}/v2/models/clf/infer`, goodClf);
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty("id");
  });

  it("runs a fixed-shape model with two inputs", async () => {
    const res = await post(`${url}/v2/models/add/infer`, {
      inputs: [
        {
          name: "a",
          shape: [2, 2],
          datatype: "FP32",
          data: [
            [1, 2],
            [3, 4],
          ],
        },
        { name: "b", shape: [2, 2], datatype: "FP32", data: [10, 20, 30, 40] },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      outputs: [{ name: "sum", datatype: "FP32", shape: [2, 2], data: [11, 22, 33, 44] }],
    });
  });

  const typesBody = {
    inputs: [
      { name: "i64", shape: [3], datatype: "INT64", data: [1, -2, "9007199254740993"] },
      { name: "f64", shape: [3], datatype: "FP64", data: [0.5, -1, 1e300] },
      { name: "i32", shape: [3], datatype: "INT32", data: [2147483647, -2147483648, 0] },
      { name: "flag", shape: [3], datatype: "BOOL", data: [true, false, 1] },
      { name: "u8", shape: [3], datatype: "UINT8", data: [0, 7, 255] },
    ],
  };

  it.each([
    ["i64_doubled", "INT64", "[2,-4,18014398509481986]"],
    ["i64_positive", "BOOL", "[true,false,true]"],
    ["f64_plus_one", "FP64", "[1.5,0,1e+300]"],
    ["i32_out", "INT32", "[2147483647,-2147483648,0]"],
    ["flag_not", "BOOL", "[false,true,false]"],
    ["u8_out", "UINT8", "[0,7,255]"],
  ])("returns %s as %s with exact values", async (name, datatype, dataJson) => {
    const res = await post(`${url}/v2/models/types/infer`, { ...typesBody, outputs: [{ name }] });
    expect(res.status).toBe(200);
    // Compared as text: INT64 values wider than a double are written digit for digit.
    expect(res.text).toContain(`{"name":"${name}","datatype":"${datatype}","shape":[3],"data":${dataJson}}`);
    expect((res.body as { outputs: unknown[] }).outputs).toHaveLength(1);
  });

  it("returns every output when none is asked for", async () => {
    const res = await post(`${url}/v2/models/types/infer`, typesBody);
    expect(res.status).toBe(200);
    const names = (res.body as { outputs: Array<{ name: string }> }).outputs.map((o) => o.name);
    expect(names).toEqual(["i64_doubled", "i64_positive", "f64_plus_one", "i32_out", "flag_not", "u8_out"]);
  });

  it("passes BYTES (strings) through a string model", async () => {
    const data = ["héllo", "", 'a "quoted" line\n'];
    const res = await post(`${url}/v2/models/text/infer`, {
      inputs: [{ name: "text", shape: [3], datatype: "BYTES", data }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outputs: [{ name: "text_out", datatype: "BYTES", shape: [3], data }] });
  });

  it.each([
    ["/v2/models/multi/infer", "2"],
    ["/v2/models/multi/versions/1/infer", "1"],
    ["/v2/models/multi/versions/2/infer", "2"],
  ])("POST %s answers as version %s", async (path, version) => {
    const res = await post(`${url}${path}`, goodClf);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model_name: "multi", model_version: version });
  });

  it("parses a body sent without a JSON content type (curl -d)", async () => {
    const res = await post(`${url}/v2/models/clf/infer`, JSON.stringify(goodClf), {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(res.status).toBe(200);
  });
});

const clf = "/v2/models/clf/infer";
const TYPES_INPUTS = [
  { name: "i64", datatype: "INT64" },
  { name: "f64", datatype: "FP64" },
  { name: "i32", datatype: "INT32" },
  { name: "flag", datatype: "BOOL" },
  { name: "u8", datatype: "UINT8" },
];
/** A valid one-row request to the types model, except that `name` carries `data`. */
const typesWith = (name: string, data: unknown[]) => ({
  inputs: TYPES_INPUTS.map((i) => ({
    ...i,
    shape: [1],
    data: i.name === name ? data : [i.datatype === "BOOL" ? true : 1],
  })),
});
const input = (over: Record<string, unknown>) => ({
  inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4], ...over }],
});

describe("bad requests get a V2 error and the server keeps serving", () => {
  const cases: Array<[string, string, unknown, number, string, RegExp]> = [
    ["malformed JSON", clf, "{bad", 400, "json-invalid", /not valid JSON/],
    ["empty body", clf, "", 400, "json-invalid", /not valid JSON/],
    ["body not an object", clf, "[1,2]", 400, "body-not-object", /JSON object/],
    ["no inputs", clf, {}, 400, "inputs-missing", /'inputs'/],
    ["input not an object", clf, { inputs: [7] }, 400, "input-invalid", /inputs\[0\]/],
    [
      "unknown input name",
      clf,
      input({ name: "pixels" }),
      400,
      "input-unknown",
      /'pixels' is not an input.*'input'/,
    ],
    [
      "duplicate input",
      clf,
      { inputs: [input({}).inputs[0], input({}).inputs[0]] },
      400,
      "input-duplicate",
      /more than once/,
    ],
    [
      "duplicate among many inputs",
      clf,
      {
        inputs: [
          ...Array.from({ length: 20 }, (_, i) => ({
            name: `x${i}`,
            shape: [0],
            datatype: "FP32",
            data: [],
          })),
          { name: "x3", shape: [0], datatype: "FP32", data: [] },
        ],
      },
      400,
      "input-duplicate",
      /'x3' is given more than once/,
    ],
    [
      "missing input",
      "/v2/models/add/infer",
      { inputs: [{ name: "a", shape: [2, 2], datatype: "FP32", data: [1, 2, 3, 4] }] },
      400,
      "input-missing",
      /missing input 'b'/,
    ],
    [
      "wrong datatype",
      clf,
      input({ datatype: "INT32" }),
      400,
      "datatype-mismatch",
      /INT32 does not match the model's FP32/,
    ],
    [
      "unknown datatype",
      clf,
      input({ datatype: "FLOAT" }),
      400,
      "datatype-unknown",
      /"FLOAT" is not a V2 datatype/,
    ],
    [
      "element count mismatch",
      clf,
      input({ data: [1, 2, 3] }),
      400,
      "shape-data-mismatch",
      /holds 4 elements but data has 3/,
    ],
    [
      "shape off the model's fixed dim",
      clf,
      input({ shape: [1, 3], data: [1, 2, 3] }),
      400,
      "shape-mismatch",
      /\[1,3\] does not match the model's \[-1,4\]/,
    ],
    [
      "shape off a fully fixed model",
      "/v2/models/add/infer",
      {
        inputs: [
          { name: "a", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] },
          { name: "b", shape: [2, 2], datatype: "FP32", data: [1, 2, 3, 4] },
        ],
      },
      400,
      "shape-mismatch",
      /'a': shape \[1,4\] does not match the model's \[2,2\]/,
    ],
    ["wrong rank", clf, input({ shape: [4] }), 400, "shape-mismatch", /\[4\] does not match/],
    ["negative dimension", clf, input({ shape: [-1, 4] }), 400, "shape-invalid", /non-negative integers/],
    ["shape not an array", clf, input({ shape: "1x4" }), 400, "shape-invalid", /shape must be an array/],
    ["data not an array", clf, input({ data: "1,2,3,4" }), 400, "data-invalid", /data must be an array/],
    [
      "non-numeric data",
      clf,
      input({ data: [1, "two", 3, 4] }),
      400,
      "data-invalid",
      /data\[1\] is the string "two", expected a number/,
    ],
    ["null in numeric data", clf, input({ data: [1, 2, null, 4] }), 400, "data-invalid", /data\[2\] is null/],
    [
      "ragged nesting",
      clf,
      input({ shape: [2, 4], data: [[1, 2, 3, 4], [5]] }),
      400,
      "shape-data-mismatch",
      /data has 5/,
    ],
    [
      "absurdly deep nesting",
      clf,
      input({ data: JSON.parse(`${"[".repeat(40)}1${"]".repeat(40)}`) }),
      400,
      "data-too-deep",
      /nested more than/,
    ],
    [
      "unknown output",
      clf,
      { ...goodClf, outputs: [{ name: "logits" }] },
      400,
      "output-unknown",
      /'logits' is not an output/,
    ],
    [
      "outputs not an array",
      clf,
      { ...goodClf, outputs: "probabilities" },
      400,
      "outputs-invalid",
      /'outputs'/,
    ],
    ["id not a string", clf, { ...goodClf, id: 5 }, 400, "id-invalid", /'id'/],
    [
      "INT32 out of range",
      "/v2/models/types/infer",
      typesWith("i32", [2 ** 40]),
      400,
      "data-invalid",
      /expected an integer in \[-2147483648, 2147483647\]/,
    ],
    [
      "fraction as INT64",
      "/v2/models/types/infer",
      typesWith("i64", [1.5]),
      400,
      "data-invalid",
      /data\[0\] is number 1.5/,
    ],
    [
      "string as BOOL",
      "/v2/models/types/infer",
      typesWith("flag", ["yes"]),
      400,
      "data-invalid",
      /expected true or false/,
    ],
    [
      "number as BYTES",
      "/v2/models/text/infer",
      { inputs: [{ name: "text", shape: [1], datatype: "BYTES", data: [42] }] },
      400,
      "data-invalid",
      /expected a string/,
    ],
    [
      "unknown model",
      "/v2/models/nope/infer",
      goodClf,
      404,
      "model-not-found",
      /model 'nope' is not served here/,
    ],
    [
      "unknown version",
      "/v2/models/clf/versions/9/infer",
      goodClf,
      404,
      "version-not-found",
      /no version '9'.*versions: 1/,
    ],
    [
      "unknown endpoint",
      "/v2/modelz/clf/infer",
      goodClf,
      404,
      "not-found",
      /no endpoint POST \/v2\/modelz\/clf\/infer/,
    ],
    [
      "too many elements",
      clf,
      input({ shape: [1000, 4] }),
      413,
      "too-many-elements",
      /more than 1000 tensor elements/,
    ],
    [
      "body over the limit",
      clf,
      input({ data: new Array(20_000).fill(0.123456) }),
      413,
      "body-too-large",
      /larger than the limit of 65536 bytes/,
    ],
  ];
  it.each(
    cases.map(([label, path, body, status, code, message]) => ({ label, path, body, status, code, message })),
  )("$label → $status $code", async ({ path, body, status, code, message }) => {
    const res = await post(`${url}${path}`, body);
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/^application\/json/);
    const err = res.body as { error: string; code: string };
    expect(err.code).toBe(code);
    expect(err.error).toMatch(message);
    const after = await post(`${url}${clf}`, goodClf);
    expect(after.status).toBe(200);
  });

  it("answers 408 with a V2 error and closes when a request body trickles in past the timeout, and keeps serving", async () => {
    // A server of its own with a short limit, so a busy machine cannot time out the other tests.
    const timeoutMs = 50;
    const slow = await startInferenceServer({
      models: [{ name: "clf", modelPath: fx.files.classifier }],
      port: 0,
      limits: { timeoutMs },
    });
    try {
      const body = JSON.stringify(goodClf);
      const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(
          `${slow.url}${clf}`,
          { method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
          (r) => {
            let text = "";
            r.on("data", (d: Buffer) => (text += d.toString()));
            r.on("end", () => resolve({ status: r.statusCode ?? 0, text }));
          },
        );
        req.on("error", reject);
        req.write(body.slice(0, 10));
        setTimeout(() => req.end(body.slice(10)), timeoutMs * 6);
      });
      expect(res.status).toBe(408);
      expect(JSON.parse(res.text)).toMatchObject({ code: "request-timeout" });
    } finally {
      await slow.close();
    }
    expect((await post(`${url}${clf}`, goodClf)).status).toBe(200);
  });
});

describe("concurrency", () => {
  it("answers 200 concurrent requests, each with its own result, among bad ones", async () => {
    const rows = Array.from({ length: 200 }, (_, i) => [i / 10, -i / 20, (i % 7) - 3, 1]);
    const results = await Promise.all(
      rows.map((row, i) =>
        post(
          `${url}${clf}`,
          i % 10 === 9
            ? input({ data: [1, "x", 3, 4] })
            : { id: String(i), inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: row }] },
        ),
      ),
    );
    results.forEach((res, i) => {
      if (i % 10 === 9) {
        expect(res.status).toBe(400);
        return;
      }
      expect(res.status).toBe(200);
      const body = res.body as { id: string; outputs: Array<{ data: number[] }> };
      expect(body.id).toBe(String(i));
      expectClose(body.outputs[0]!.data, classifierExpected(rows[i]!));
    });
  });
});

describe("metrics", () => {
  it("exposes request counts, latency histograms and process metrics in Prometheus text", async () => {
    const before = (await get(`${url}/metrics`)).text;
    const ok = 'modelship_requests_total{model="add",version="1",route="infer",code="200",traffic="client"}';
    const bad = 'modelship_requests_total{model="add",version="1",route="infer",code="400",traffic="client"}';
    const okBefore = sample(before, ok) ?? 0;
    const badBefore = sample(before, bad) ?? 0;
    const body = {
      inputs: [
        { name: "a", shape: [2, 2], datatype: "FP32", data: [1, 2, 3, 4] },
        { name: "b", shape: [2, 2], datatype: "FP32", data: [1, 2, 3, 4] },
      ],
    };
    for (let i = 0; i < 3; i++) expect((await post(`${url}/v2/models/add/infer`, body)).status).toBe(200);
    expect((await post(`${url}/v2/models/add/infer`, { inputs: [] })).status).toBe(400);
    expect((await post(`${url}/v2/models/ghost/infer`, goodClf)).status).toBe(404);

    const res = await get(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain/);
    const text = res.text;
    expect(sample(text, ok)).toBe(okBefore + 3);
    expect(sample(text, bad)).toBe(badBefore + 1);
    expect(
      sample(
        text,
        'modelship_requests_total{model="_unknown",version="_unknown",route="infer",code="404",traffic="client"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        text,
        'modelship_request_duration_seconds_bucket{le="0.0005",model="add",version="1",route="infer",traffic="client"}',
      ),
    ).toBeGreaterThanOrEqual(0);
    expect(
      sample(
        text,
        'modelship_request_duration_seconds_count{model="add",version="1",route="infer",traffic="client"}',
      ),
    ).toBe(okBefore + badBefore + 4);
    expect(sample(text, 'modelship_inference_duration_seconds_count{model="add",version="1"}')).toBe(
      okBefore + 3,
    );
    expect(sample(text, 'modelship_model_ready{model="clf",version="1"}')).toBe(1);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });
});

describe("loading and closing", () => {
  it.each([
    ["a missing file", (dir: string) => join(dir, "absent.onnx"), "model-not-found"],
    [
      "a corrupt file",
      (dir: string) => {
        const file = join(dir, "corrupt.onnx");
        return writeFile(file, "this is not a protobuf").then(() => file);
      },
      "model-invalid",
    ],
  ])("rejects %s with a ModelshipError", async (_label, makePath, code) => {
    const modelPath = await makePath(fx.dir);
    let listenedOn: string | undefined;
    const started = startInferenceServer({
      models: [{ name: "m", modelPath }],
      port: 0,
      onListening: (a) => (listenedOn = a.url),
    });
    await expect(started).rejects.toBeInstanceOf(ModelshipError);
    await expect(started).rejects.toMatchObject({ code });
    // The socket it may have opened is closed again.
    if (listenedOn !== undefined) await expect(fetch(`${listenedOn}/v2/health/live`)).rejects.toThrow();
  });

  it.each([
    ["a name with a slash", [{ name: "a/b", modelPath: "x" }], "model-name-invalid"],
    ["a version with a space", [{ name: "a", version: "1 0", modelPath: "x" }], "model-name-invalid"],
    [
      "the same name and version twice",
      [
        { name: "a", modelPath: "x" },
        { name: "a", modelPath: "y" },
      ],
      "model-duplicate",
    ],
  ])("refuses %s", async (_label, models, code) => {
    const withFiles = models.map((m) => ({ ...m, modelPath: fx.files.classifier }));
    await expect(startInferenceServer({ models: withFiles, port: 0 })).rejects.toMatchObject({ code });
  });

  it("serves a run directory's model, and is not ready once closed", async () => {
    const s = await startInferenceServer({
      models: [{ name: "dir-model", modelPath: await copyAsModelDir(fx) }],
      port: 0,
    });
    expect(s.ready()).toBe(true);
    expect((await post(`${s.url}/v2/models/dir-model/infer`, goodClf)).status).toBe(200);
    await s.close();
    expect(s.ready()).toBe(false);
    await expect(fetch(`${s.url}/v2/health/live`)).rejects.toThrow();
  });
});

async function copyAsModelDir(f: Fixtures): Promise<string> {
  const { copyFile, mkdir } = await import("node:fs/promises");
  const dir = join(f.dir, "run", "model");
  await mkdir(dir, { recursive: true });
  await copyFile(f.files.classifier, join(dir, "model.onnx"));
  return join(f.dir, "run");
}
