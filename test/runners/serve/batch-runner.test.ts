import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBatchRunner, type RunResult } from "../../../runners/serve/batch-runner.ts";
import { startInferenceServer, type InferenceServer } from "../../../runners/serve/server.ts";
import { classifierExpected } from "../../fixtures/onnx/make-models.ts";
import { makeFixtures, post, type Fixtures } from "./serve-helpers.ts";

let fx: Fixtures;
let server: InferenceServer;

beforeAll(async () => {
  fx = await makeFixtures();
  server = await startInferenceServer({
    models: [
      { name: "clf", modelPath: fx.files.classifier },
      { name: "text", modelPath: fx.files.strings },
      { name: "types", modelPath: fx.files.types },
      { name: "colsum", modelPath: fx.files["column-sum"] },
    ],
    port: 0,
  });
});
afterAll(async () => {
  await server?.close();
  await fx?.cleanup();
});

function rowsOf(n: number, seed: number): number[][] {
  return Array.from({ length: n }, (_, r) => [seed + r, -seed / 2, r % 3, 1 - r]);
}

describe("stacking concurrent requests into one run", () => {
  it("stacks requests that arrive together into one session.run and splits the rows back", async () => {
    const session = await ort.InferenceSession.create(fx.files.classifier);
    try {
      const runner = createBatchRunner(session, {
        inputNames: ["input"],
        outputNames: ["probabilities"],
        batchable: true,
        maxBatchRows: 64,
      });
      const requests = [rowsOf(1, 0), rowsOf(3, 10), rowsOf(2, 20)];
      const results: RunResult[] = await Promise.all(
        requests.map((rows) =>
          runner.run({ input: new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, 4]) }),
        ),
      );
      // One run served all three: they share its duration exactly.
      expect(new Set(results.map((r) => r.runSeconds)).size).toBe(1);
      results.forEach((r, i) => {
        const rows = requests[i]!;
        expect(r.outputs.probabilities!.dims).toEqual([rows.length, 3]);
        const got = Array.from(r.outputs.probabilities!.data as Float32Array);
        rows.flatMap(classifierExpected).forEach((v, k) => expect(Math.abs(got[k]! - v)).toBeLessThan(1e-5));
      });
    } finally {
      await session.release();
    }
  });

  it("falls back to one run per request when the stacked outputs do not keep the rows", async () => {
    const session = await ort.InferenceSession.create(fx.files["column-sum"]);
    try {
      const runner = createBatchRunner(session, {
        inputNames: ["x"],
        outputNames: ["total"],
        batchable: true,
        maxBatchRows: 64,
      });
      const inputs = [
        [1, 2, 3, 4, 5, 6],
        [10, 20, 30, 40, 50, 60],
        [0, 0, 1, 0, 0, 1],
      ];
      const results = await Promise.all(
        inputs.map((x) => runner.run({ x: new ort.Tensor("float32", Float32Array.from(x), [2, 3]) })),
      );
      expect(results.map((r) => Array.from(r.outputs.total!.data as Float32Array))).toEqual([
        [5, 7, 9],
        [50, 70, 90],
        [0, 0, 2],
      ]);
      expect(results.map((r) => r.outputs.total!.dims)).toEqual([
        [1, 3],
        [1, 3],
        [1, 3],
      ]);
    } finally {
      await session.release();
    }
  });

  it.each([
    [
      "classifier rows",
      "clf",
      (i: number) => ({
        inputs: [
          { name: "input", shape: [1 + (i % 3), 4], datatype: "FP32", data: rowsOf(1 + (i % 3), i).flat() },
        ],
      }),
    ],
    [
      "strings",
      "text",
      (i: number) => ({
        inputs: [
          {
            name: "text",
            shape: [1 + (i % 2)],
            datatype: "BYTES",
            data: Array.from({ length: 1 + (i % 2) }, (_, k) => `r${i}-${k}`),
          },
        ],
      }),
    ],
  ])("gives each of 60 concurrent %s requests its own answer", async (_label, model, body) => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => post(`${server.url}/v2/models/${model}/infer`, body(i))),
    );
    answers.forEach((res, i) => {
      expect(res.status).toBe(200);
      const out = (res.body as { outputs: Array<{ shape: number[]; data: unknown[] }> }).outputs[0]!;
      const request = body(i).inputs[0]!;
      expect(out.shape[0]).toBe(request.shape[0]);
      if (model === "clf") {
        const expected = rowsOf(request.shape[0]!, i).flatMap(classifierExpected);
        (out.data as number[]).forEach((v, k) => expect(Math.abs(v - expected[k]!)).toBeLessThan(1e-5));
      } else expect(out.data).toEqual(request.data);
    });
  });

  it("answers each request alone when the model's first dimension is not really a batch axis", async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => ({
      inputs: [{ name: "x", shape: [2, 3], datatype: "FP32", data: [i, 1, 2, 10 * i, 3, 4] }],
    }));
    const answers = await Promise.all(bodies.map((b) => post(`${server.url}/v2/models/colsum/infer`, b)));
    answers.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ outputs: [{ name: "total", shape: [1, 3], data: [11 * i, 4, 6] }] });
    });
  });

  it("keeps a bad request's error its own when others in the same turn are fine", async () => {
    const good = { inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] };
    const bad = { inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, "x", 4] }] };
    const answers = await Promise.all(
      [good, bad, good, bad, good].map((b) => post(`${server.url}/v2/models/clf/infer`, b)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 400, 200, 400, 200]);
  });
});
