import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInferenceServer, type InferenceServer } from "../../../runners/serve/server.ts";
import { classifierExpected } from "../../fixtures/onnx/make-models.ts";
import { makeFixtures, post, type Fixtures } from "./serve-helpers.ts";

// Requests in the V2 binary tensor data extension's layout, as tritonclient sends them by default.

let fx: Fixtures;
let server: InferenceServer;

beforeAll(async () => {
  fx = await makeFixtures();
  server = await startInferenceServer({
    models: [
      { name: "clf", modelPath: fx.files.classifier },
      { name: "types", modelPath: fx.files.types },
      { name: "text", modelPath: fx.files.strings },
    ],
    port: 0,
  });
});
afterAll(async () => {
  await server?.close();
  await fx?.cleanup();
});

function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function stringsBytes(values: string[]): Buffer {
  return Buffer.concat(
    values.flatMap((v) => {
      const text = Buffer.from(v, "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32LE(text.length);
      return [length, text];
    }),
  );
}

type BinaryAnswer = {
  status: number;
  json: Record<string, unknown>;
  tail: Buffer;
  headerLength: string | null;
  contentType: string | null;
};

async function postBinary(
  model: string,
  json: unknown,
  tensors: Buffer[],
  headerLength?: string,
): Promise<BinaryAnswer> {
  const head = Buffer.from(JSON.stringify(json), "utf8");
  const res = await fetch(`${server.url}/v2/models/${model}/infer`, {
    method: "POST",
    headers: {
      "content-type": "application/octet-stream",
      "inference-header-content-length": headerLength ?? String(head.byteLength),
    },
    body: Buffer.concat([head, ...tensors]),
  });
  const body = Buffer.from(await res.arrayBuffer());
  const answerLength = res.headers.get("inference-header-content-length");
  const jsonLength = answerLength === null ? body.byteLength : Number(answerLength);
  return {
    status: res.status,
    json: JSON.parse(body.subarray(0, jsonLength).toString("utf8")) as Record<string, unknown>,
    tail: body.subarray(jsonLength),
    headerLength: answerLength,
    contentType: res.headers.get("content-type"),
  };
}

const rows = [
  [1, 2, 3, 4],
  [-1, 0.5, 0, 2],
];

describe("binary tensor data", () => {
  it("takes an FP32 input as binary data and answers in JSON", async () => {
    const res = await postBinary(
      "clf",
      { inputs: [{ name: "input", shape: [2, 4], datatype: "FP32", parameters: { binary_data_size: 32 } }] },
      [bytesOf(Float32Array.from(rows.flat()))],
    );
    expect(res.status).toBe(200);
    expect(res.headerLength).toBeNull();
    const out = (res.json.outputs as Array<{ data: number[] }>)[0]!;
    rows.flatMap(classifierExpected).forEach((v, i) => expect(Math.abs(out.data[i]! - v)).toBeLessThan(1e-5));
  });

  it("answers with binary outputs when asked, mixing binary and JSON tensors", async () => {
    const json = {
      inputs: [
        { name: "i64", shape: [2], datatype: "INT64", parameters: { binary_data_size: 16 } },
        { name: "f64", shape: [2], datatype: "FP64", data: [0.5, -1] },
        { name: "i32", shape: [2], datatype: "INT32", parameters: { binary_data_size: 8 } },
        { name: "flag", shape: [2], datatype: "BOOL", parameters: { binary_data_size: 2 } },
        { name: "u8", shape: [2], datatype: "UINT8", data: [3, 250] },
      ],
      outputs: [
        { name: "i64_doubled", parameters: { binary_data: true } },
        { name: "flag_not", parameters: { binary_data: true } },
        { name: "f64_plus_one" },
      ],
    };
    const res = await postBinary("types", json, [
      bytesOf(BigInt64Array.from([-7n, 2n ** 40n])),
      bytesOf(Int32Array.from([5, -6])),
      Buffer.from([1, 0]),
    ]);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe("application/octet-stream");
    expect(res.json).toMatchObject({
      outputs: [
        { name: "i64_doubled", datatype: "INT64", shape: [2], parameters: { binary_data_size: 16 } },
        { name: "flag_not", datatype: "BOOL", shape: [2], parameters: { binary_data_size: 2 } },
        { name: "f64_plus_one", datatype: "FP64", shape: [2], data: [1.5, 0] },
      ],
    });
    expect(res.tail.byteLength).toBe(18);
    const tail = Uint8Array.from(res.tail);
    expect(Array.from(new BigInt64Array(tail.buffer, 0, 2))).toEqual([-14n, 2n ** 41n]);
    expect(Array.from(tail.subarray(16))).toEqual([0, 1]);
  });

  it("round-trips BYTES as length-prefixed strings, all outputs binary by request parameter", async () => {
    const text = ["héllo", "", "二"];
    const bytes = stringsBytes(text);
    const res = await postBinary(
      "text",
      {
        parameters: { binary_data_output: true },
        inputs: [
          { name: "text", shape: [3], datatype: "BYTES", parameters: { binary_data_size: bytes.byteLength } },
        ],
      },
      [bytes],
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      outputs: [{ name: "text_out", parameters: { binary_data_size: bytes.byteLength } }],
    });
    expect(Buffer.compare(res.tail, bytes)).toBe(0);
  });

  const clfInput = (size: number) => ({
    inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", parameters: { binary_data_size: size } }],
  });
  const four = bytesOf(Float32Array.from([1, 2, 3, 4]));

  it.each([
    [
      "a size that does not fit the shape",
      "clf",
      clfInput(12),
      [four.subarray(0, 12)],
      undefined,
      "binary-data-invalid",
      /12 bytes but 4 FP32 elements take 16/,
    ],
    [
      "a size past the body's end",
      "clf",
      clfInput(32),
      [four],
      undefined,
      "binary-data-invalid",
      /binary_data_size is 32 but the body has 16 bytes/,
    ],
    [
      "bytes no input claims",
      "clf",
      clfInput(16),
      [four, Buffer.from([9, 9])],
      undefined,
      "binary-data-invalid",
      /2 bytes of binary data that no input claims/,
    ],
    [
      "a header length past the body",
      "clf",
      clfInput(16),
      [four],
      "100000",
      "binary-data-invalid",
      /Inference-Header-Content-Length/,
    ],
    [
      "a BOOL byte other than 0 or 1",
      "types",
      {
        inputs: [
          { name: "i64", shape: [1], datatype: "INT64", data: [1] },
          { name: "f64", shape: [1], datatype: "FP64", data: [1] },
          { name: "i32", shape: [1], datatype: "INT32", data: [1] },
          { name: "flag", shape: [1], datatype: "BOOL", parameters: { binary_data_size: 1 } },
          { name: "u8", shape: [1], datatype: "UINT8", data: [1] },
        ],
      },
      [Buffer.from([2])],
      undefined,
      "data-invalid",
      /BOOL element 0 is the byte 2/,
    ],
    [
      "a BYTES length running past the data",
      "text",
      { inputs: [{ name: "text", shape: [1], datatype: "BYTES", parameters: { binary_data_size: 6 } }] },
      [Buffer.from([9, 0, 0, 0, 65, 66])],
      undefined,
      "binary-data-invalid",
      /runs past the binary data/,
    ],
  ])("rejects %s with 400", async (_label, model, json, tensors, headerLength, code, message) => {
    const res = await postBinary(model, json, tensors, headerLength);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code });
    expect(res.json.error).toMatch(message);
  });

  it("rejects binary_data_size in a plain JSON request", async () => {
    const res = await post(`${server.url}/v2/models/clf/infer`, clfInput(16));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "binary-data-invalid" });
    expect((res.body as { error: string }).error).toMatch(/Inference-Header-Content-Length/);
  });
});
