import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInferenceServer, type InferenceServer } from "../../../runners/serve/server.ts";
import { identityProbabilitiesModel, nanClassifierModel } from "../../fixtures/onnx/make-models.ts";
import { get, makeFixtures, post, sample, type Fixtures } from "./serve-helpers.ts";

let fx: Fixtures;
let server: InferenceServer;

beforeAll(async () => {
  fx = await makeFixtures();
  const nan = join(fx.dir, "nan.onnx");
  const identity = join(fx.dir, "identity.onnx");
  await writeFile(nan, nanClassifierModel());
  await writeFile(identity, identityProbabilitiesModel());
  server = await startInferenceServer({
    models: [
      { name: "clf", modelPath: fx.files.classifier },
      { name: "nan", modelPath: nan },
      { name: "identity", modelPath: identity },
      { name: "f64", modelPath: fx.files.types },
    ],
    port: 0,
    limits: { maxElements: 1000 },
  });
});

afterAll(async () => {
  await server?.close();
  await fx?.cleanup();
});

const row = (name: string, data: unknown[], shape = [1, data.length], datatype = "FP32") => ({
  inputs: [{ name, datatype, shape, data }],
});

describe("outputs are checked before they are answered", () => {
  it.each([
    ["a model whose weights are all NaN", "nan", row("input", [5.1, 3.5, 1.4, 0.2]), "output-non-finite"],
    [
      "probabilities that do not sum to 1",
      "identity",
      row("input", [0.5, 0.5, 0.5]),
      "output-not-probabilities",
    ],
    ["a probability outside [0, 1]", "identity", row("input", [1.5, -0.5, 0]), "output-not-probabilities"],
  ])("%s → 500 with a reason code, never 200 with NaN and a label", async (_name, model, body, code) => {
    const res = await post(`${server.url}/v2/models/${model}/infer`, body);
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code, error: expect.stringMatching(/the model's output is invalid/) });
    expect(res.text).not.toMatch(/null/);
    const metrics = (await get(`${server.url}/metrics`)).text;
    expect(
      sample(
        metrics,
        `modelship_invalid_outputs_total{model="${model}",version="1",reason="${code}",traffic="client"}`,
      ),
    ).toBeGreaterThan(0);
    expect(
      sample(
        metrics,
        `modelship_requests_total{model="${model}",version="1",route="infer",code="500",traffic="client"}`,
      ),
    ).toBeGreaterThan(0);
  });

  it("answers real probabilities as before", async () => {
    const res = await post(`${server.url}/v2/models/identity/infer`, row("input", [0.2, 0.3, 0.5]));
    expect(res.status).toBe(200);
  });
});

describe("inputs must be finite and countable", () => {
  it.each([
    [
      "1e308 in an FP32 tensor (Infinity as float32)",
      "clf",
      row("input", [1e308, 1, 1, 1]),
      "data-non-finite",
      /data\[0\] is 1e\+308/,
    ],
    ["-3.5e38 in an FP32 tensor", "clf", row("input", [1, -3.5e38, 1, 1]), "data-non-finite", /data\[1\]/],
    ["1e400 (Infinity once parsed) in an FP64 tensor", "f64", null, "data-non-finite", /input 'f64'/],
    [
      "a shape whose element count is not a safe integer, ending in 0",
      "clf",
      row("input", [], [...Array.from({ length: 20 }, () => 2 ** 53 - 1), 0]),
      "shape-invalid",
      /input 'input'.*more elements than can be counted/,
    ],
  ])("%s → 400 naming the input", async (_name, model, body, code, message) => {
    const payload =
      body ??
      `{"inputs":[{"name":"i64","datatype":"INT64","shape":[1],"data":[1]},{"name":"f64","datatype":"FP64","shape":[1],"data":[1e400]},{"name":"i32","datatype":"INT32","shape":[1],"data":[1]},{"name":"flag","datatype":"BOOL","shape":[1],"data":[true]},{"name":"u8","datatype":"UINT8","shape":[1],"data":[1]}]}`;
    const res = await post(`${server.url}/v2/models/${model}/infer`, payload);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code, error: expect.stringMatching(message) });
    expect((await post(`${server.url}/v2/models/clf/infer`, row("input", [5.1, 3.5, 1.4, 0.2]))).status).toBe(
      200,
    );
  });
});
