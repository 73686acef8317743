import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServedModel, type InferenceThread } from "../../../runners/serve/served-model.ts";
import { startInferenceServer, type InferenceServer } from "../../../runners/serve/server.ts";
import { parseServeArgs } from "../../../runners/serve/main.ts";
import { createWorkerSession } from "../../../runners/serve/worker-session.ts";
import { makeFixtures, post, type Fixtures } from "./serve-helpers.ts";

let fx: Fixtures;
const servers: Partial<Record<InferenceThread, InferenceServer>> = {};

beforeAll(async () => {
  fx = await makeFixtures();
  for (const inferenceThread of ["main", "worker"] as const) {
    servers[inferenceThread] = await startInferenceServer({
      models: [
        { name: "clf", modelPath: fx.files.classifier },
        { name: "types", modelPath: fx.files.types },
        { name: "text", modelPath: fx.files.strings },
      ],
      port: 0,
      inferenceThread,
    });
  }
});
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
  await fx?.cleanup();
});

const clfRow = (r: number) => [r, -r / 2, r % 3, 1 - r];

describe("inference in a worker thread", () => {
  it.each([
    [
      "clf",
      { inputs: [{ name: "input", shape: [2, 4], datatype: "FP32", data: [...clfRow(1), ...clfRow(2)] }] },
    ],
    ["text", { inputs: [{ name: "text", shape: [2], datatype: "BYTES", data: ["ab", "é"] }] }],
    ["clf", { inputs: [{ name: "input", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] }],
  ])("answers %s exactly as inference on the event loop does, errors included", async (model, body) => {
    const [main, worker] = await Promise.all(
      [servers.main!, servers.worker!].map((s) => post(`${s.url}/v2/models/${model}/infer`, body)),
    );
    expect(worker!.status).toBe(main!.status);
    expect(worker!.text).toBe(main!.text);
  });

  it("stacks concurrent requests and answers each its own rows", async () => {
    const url = `${servers.worker!.url}/v2/models/clf/infer`;
    const bodies = Array.from({ length: 24 }, (_, i) => ({
      inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: clfRow(i) }],
    }));
    const [viaWorker, viaMain] = await Promise.all(
      [url, `${servers.main!.url}/v2/models/clf/infer`].map((u) =>
        Promise.all(bodies.map((b) => post(u, b))),
      ),
    );
    expect(viaWorker!.map((a) => a.text)).toEqual(viaMain!.map((a) => a.text));
  });

  it("refuses a file onnxruntime cannot load, and fails runs once released", async () => {
    const bad = join(fx.dir, "truncated.onnx");
    await writeFile(bad, "not a model");
    await expect(
      loadServedModel({ name: "bad", version: "1", modelPath: bad }, { inferenceThread: "worker" }),
    ).rejects.toMatchObject({ code: "model-invalid" });
    const session = await createWorkerSession(fx.files.classifier);
    await session.release();
    await expect(session.run({}, ["probabilities"])).rejects.toThrow(/released/);
  });

  it.each([
    [["--inference-thread", "worker"], "worker"],
    [["--inference-thread", "main"], "main"],
    [[], undefined],
  ])("reads --inference-thread %j", (args, expected) => {
    expect(parseServeArgs(["--model", "m.onnx", ...args]).inferenceThread).toBe(expected);
  });

  it("rejects an unknown --inference-thread", () => {
    expect(() => parseServeArgs(["--model", "m.onnx", "--inference-thread", "gpu"])).toThrow(
      /--inference-thread must be 'main' or 'worker', got 'gpu'/,
    );
  });
});
