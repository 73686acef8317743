import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { mulberry32 } from "../../../core/data/split.ts";
import { parsePreprocessor } from "../../../core/features/preprocessor.ts";
import { RUN_FILES } from "../../../core/run/run-record.ts";
import { startInferenceServer } from "../../../runners/serve/server.ts";
import { trainRun } from "../../../runners/train/train-run.ts";
import { post } from "../serve/serve-helpers.ts";

// A price-like regression: the target lies between about 1000 and 5000.
const truth = (x1: number, x2: number) => 1000 + 2500 * x1 + 1500 * x2 + 300 * Math.sin(6 * x1);

let repoDir: string;
beforeAll(async () => {
  repoDir = await mkdtemp(join(tmpdir(), "modelship-thousands-"));
  const next = mulberry32(1);
  const lines = ["x1,x2,price"];
  for (let i = 0; i < 400; i++) {
    const x1 = next();
    const x2 = next();
    const price = truth(x1, x2) + (next() - 0.5) * 40;
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${price.toFixed(2)}`);
  }
  await writeFile(join(repoDir, "prices.csv"), `${lines.join("\n")}\n`);
});
afterAll(async () => {
  await rm(repoDir, { recursive: true, force: true });
});

// Nothing but the task, the target and the data: every other setting is the default.
const config = (target: Record<string, unknown> = {}) =>
  ConfigSchema.parse({
    model: { name: "prices", task: "regression", target: "price" },
    data: { source: ["prices.csv"], ...target },
  });

describe("a regression target in the thousands, out of the box", () => {
  it("trains on the standardized target, passes parity, and serves prices in their own units", async () => {
    const runsDir = join(repoDir, "runs");
    const { runDir, record } = await trainRun({
      config: config(),
      repoDir,
      runsDir,
      runId: "standardized",
      progress: "silent",
      log: () => {},
    });
    expect(record.status).toBe("succeeded");
    expect(record.targetTransform).toMatchObject({ op: "standardize" });
    expect((record.targetTransform as { mean: number }).mean).toBeGreaterThan(2000);
    // Metrics in prices, not in standard deviations.
    expect(record.metrics.rmse).toBeGreaterThan(20);
    expect(record.metrics.rmse).toBeLessThan(250);
    expect(record.metrics.r2).toBeGreaterThan(0.9);
    // float32 rounding at this scale exceeds a fixed absolute 1e-4; the relative bound holds.
    expect(record.parity).toMatchObject({ ok: true, mismatches: 0, rtol: 1e-4, atol: 1e-5 });
    expect(record.parity!.maxAbsDiff).toBeGreaterThan(1e-4);

    const prep = parsePreprocessor(
      JSON.parse(await readFile(join(runDir, RUN_FILES.preprocess), "utf8")),
      "preprocess.json",
    );
    expect(prep.targetTransform).toEqual(record.targetTransform);
    expect(prep.hash).toBe(record.preprocessHash);

    const server = await startInferenceServer({
      models: [{ name: "prices", modelPath: join(runDir, RUN_FILES.modelDir) }],
      port: 0,
    });
    try {
      const x1 = [0.1, 0.35, 0.5, 0.8, 0.95];
      const x2 = [0.9, 0.2, 0.5, 0.1, 0.7];
      const res = await post(`${server.url}/v2/models/prices/infer`, {
        inputs: [
          { name: "x1", shape: [5], datatype: "FP32", data: x1 },
          { name: "x2", shape: [5], datatype: "FP32", data: x2 },
        ],
      });
      expect(res.status).toBe(200);
      const out = (res.body as { outputs: Array<{ name: string; data: number[] }> }).outputs[0]!;
      expect(out.name).toBe("prediction");
      out.data.forEach((served, i) => {
        const expected = truth(x1[i]!, x2[i]!);
        expect(Math.abs(served - expected), `row ${i}: served ${served}, true ${expected}`).toBeLessThan(
          0.1 * expected,
        );
      });
    } finally {
      await server.close();
    }
  });

  it("is far off with standardization turned off and the same defaults", async () => {
    const { record } = await trainRun({
      config: config({ target: { standardize: false } }),
      repoDir,
      runsDir: join(repoDir, "runs"),
      runId: "raw",
      progress: "silent",
      log: () => {},
    });
    expect(record.targetTransform).toBeUndefined();
    expect(record.metrics.r2).toBeLessThan(0.5);
  });
});
