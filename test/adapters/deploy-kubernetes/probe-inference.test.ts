import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeInference } from "../../../adapters/deploy-kubernetes/probe-inference.ts";
import { startInferenceServer, type InferenceServer } from "../../../runners/serve/server.ts";
import { runCli } from "../../cli/run-cli.ts";
import { nanClassifierModel } from "../../fixtures/onnx/make-models.ts";
import { makeFixtures, type Fixtures } from "../../runners/serve/serve-helpers.ts";

let fx: Fixtures;
let server: InferenceServer;

beforeAll(async () => {
  fx = await makeFixtures();
  const nan = join(fx.dir, "nan.onnx");
  await writeFile(nan, nanClassifierModel());
  server = await startInferenceServer({
    models: [
      { name: "clf", version: "2.0.0", modelPath: fx.files.classifier },
      { name: "text", version: "2.0.0", modelPath: fx.files.strings },
      { name: "nan", version: "2.0.0", modelPath: nan },
    ],
    port: 0,
  });
});

afterAll(async () => {
  await server?.close();
  await fx?.cleanup();
});

const thresholds = { maxErrorRate: 0, maxLatencyP95Ms: 5_000 };

describe("probeInference against a real inference server", () => {
  it.each([
    ["a classifier, any version", { model: "clf" }, null],
    ["a classifier, the version it serves", { model: "clf", version: "2.0.0" }, null],
    ["a string-input model", { model: "text", version: "2.0.0" }, null],
    [
      "another version answering",
      { model: "clf", version: "3.0.0" },
      { reason: "smoke-failed", message: /answered by version 2\.0\.0, expected 3\.0\.0/ },
    ],
    [
      "a model the server does not have",
      { model: "nope" },
      { reason: "smoke-failed", message: /GET \/v2\/models\/nope failed: HTTP 404/ },
    ],
    ["a model answering NaN", { model: "nan" }, { reason: "smoke-failed", message: /HTTP 500/ }],
  ])("%s", async (_name, target, failure) => {
    const v = await probeInference({ url: server.url, ...target, requests: 4, thresholds, timeoutMs: 5_000 });
    if (failure === null) {
      expect(v).toMatchObject({ pass: true, observed: { requests: 4, errors: 0 } });
      expect(v.observed.p95Ms).toBeGreaterThan(0);
    } else {
      expect(v).toMatchObject({ pass: false, reason: failure.reason });
      if (!v.pass) expect(v.message).toMatch(failure.message);
    }
  });

  it("fails when nothing listens", async () => {
    const v = await probeInference({
      url: "http://127.0.0.1:1",
      model: "clf",
      requests: 1,
      thresholds,
      timeoutMs: 2_000,
    });
    expect(v).toMatchObject({ pass: false, reason: "smoke-failed" });
  });

  it("fails on latency when the bound is below what the server takes", async () => {
    const v = await probeInference({
      url: server.url,
      model: "clf",
      requests: 3,
      thresholds: { maxErrorRate: 0, maxLatencyP95Ms: 0 },
      timeoutMs: 5_000,
    });
    expect(v).toMatchObject({ pass: false, reason: "analysis-latency" });
  });
});

describe("modelship probe", () => {
  it.each([
    [["--model", "clf", "--version", "2.0.0", "--requests", "3"], 0, /^ok: 3 inferences/, /^$/],
    [["--model", "clf", "--version", "9.9.9"], 1, /^$/, /answered by version 2\.0\.0.*\[smoke-failed\]/s],
    [
      ["--model", "clf", "--requests", "0"],
      2,
      /^$/,
      /--requests must be an integer ≥ 1, got '0' \[option-invalid\]/,
    ],
  ])("%j exits %i", async (args, code, stdout, stderr) => {
    const r = await runCli(["probe", "--url", server.url, ...args], { cwd: fx.dir });
    expect(r.stdout).toMatch(stdout);
    expect(r.stderr).toMatch(stderr);
    expect(r.code).toBe(code);
  });
});
