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

describe("a queue delay window", () => {
  const turn = () => new Promise((r) => setImmediate(r));
  const tensor = (rows: number[][]) =>
    new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]);

  async function withRunner<T>(
    window: { maxQueueDelayUs: number; preferredBatchRows?: number[] },
    use: (runner: ReturnType<typeof createBatchRunner>) => Promise<T>,
  ): Promise<T> {
    const session = await ort.InferenceSession.create(fx.files.classifier);
    try {
      return await use(
        createBatchRunner(session, {
          inputNames: ["input"],
          outputNames: ["probabilities"],
          batchable: true,
          maxBatchRows: 64,
          ...window,
        }),
      );
    } finally {
      await session.release();
    }
  }

  function expectRows(result: RunResult, rows: number[][]): void {
    expect(result.outputs.probabilities!.dims).toEqual([rows.length, 3]);
    const got = Array.from(result.outputs.probabilities!.data as Float32Array);
    rows.flatMap(classifierExpected).forEach((v, k) => expect(Math.abs(got[k]! - v)).toBeLessThan(1e-5));
  }

  it("stacks requests that arrive in different turns within the window, each getting its own rows", async () => {
    const requests = [rowsOf(1, 0), rowsOf(2, 5), rowsOf(1, 9)];
    const results = await withRunner({ maxQueueDelayUs: 200_000 }, async (runner) => {
      const pending: Array<Promise<RunResult>> = [];
      for (const rows of requests) {
        pending.push(runner.run({ input: tensor(rows) }));
        await turn();
        await turn();
      }
      return Promise.all(pending);
    });
    // One run served all three, although no two of them arrived in the same turn.
    expect(new Set(results.map((r) => r.runSeconds)).size).toBe(1);
    results.forEach((r, i) => expectRows(r, requests[i]!));
  });

  it("dispatches as soon as the queue holds the preferred row count, without waiting out the window", async () => {
    const requests = [rowsOf(1, 1), rowsOf(1, 2), rowsOf(1, 3)];
    // The window is ten minutes: only the preferred size of 3 rows can let these finish.
    const results = await withRunner(
      { maxQueueDelayUs: 600_000_000, preferredBatchRows: [2, 3] },
      async (runner) => {
        const pending: Array<Promise<RunResult>> = [];
        for (const rows of requests) {
          pending.push(runner.run({ input: tensor(rows) }));
          await turn();
        }
        return Promise.all(pending);
      },
    );
    expect(new Set(results.map((r) => r.runSeconds)).size).toBe(1);
    results.forEach((r, i) => expectRows(r, requests[i]!));
  });

  it("fails only the request that cannot run; the others in the window get their answers", async () => {
    const settled = await withRunner({ maxQueueDelayUs: 200_000 }, async (runner) => {
      const good = runner.run({ input: tensor(rowsOf(1, 4)) });
      await turn();
      const bad = runner.run({ input: tensor([[1, 2, 3, 4, 5]]) });
      await turn();
      const alsoGood = runner.run({ input: tensor(rowsOf(2, 7)) });
      return Promise.allSettled([good, bad, alsoGood]);
    });
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expectRows((settled[0] as PromiseFulfilledResult<RunResult>).value, rowsOf(1, 4));
    expectRows((settled[2] as PromiseFulfilledResult<RunResult>).value, rowsOf(2, 7));
  });

  it("answers every concurrent HTTP request with its own rows, and bad ones with their own 400s", async () => {
    const windowed = await startInferenceServer({
      models: [{ name: "clf", modelPath: fx.files.classifier }],
      port: 0,
      maxQueueDelayUs: 2_000,
      preferredBatchRows: [8],
    });
    try {
      const body = (i: number) => ({
        inputs: [
          {
            name: "input",
            shape: [1 + (i % 3), 4],
            datatype: "FP32",
            data: i % 7 === 3 ? [1, "x"] : rowsOf(1 + (i % 3), i).flat(),
          },
        ],
      });
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => post(`${windowed.url}/v2/models/clf/infer`, body(i))),
      );
      answers.forEach((res, i) => {
        if (i % 7 === 3) return expect(res.status).toBe(400);
        expect(res.status).toBe(200);
        const out = (res.body as { outputs: Array<{ shape: number[]; data: number[] }> }).outputs[0]!;
        const expected = rowsOf(1 + (i % 3), i).flatMap(classifierExpected);
        expect(out.shape).toEqual([1 + (i % 3), 3]);
        out.data.forEach((v, k) => expect(Math.abs(v - expected[k]!)).toBeLessThan(1e-5));
      });
    } finally {
      await windowed.close();
    }
  });
});
