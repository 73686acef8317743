import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigSchema, type ConfigInput } from "../../../core/config/schema.ts";
import { ExplanationSchema } from "../../../core/explain/explanation-file.ts";
import { ValidationPredictionsSchema } from "../../../core/run/validation-predictions.ts";
import { startInferenceServer } from "../../../runners/serve/server.ts";
import { trainRun } from "../../../runners/train/train-run.ts";
import { runCli } from "../../cli/run-cli.ts";

const repoDir = join(import.meta.dirname, "../../..");
let workspace: string;
let runDir: string;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "ms-explain-"));
  const raw = parse(await readFile(join(repoDir, "examples/penguins/modelship.yml"), "utf8")) as ConfigInput;
  const config = ConfigSchema.parse({
    ...raw,
    train: { ...raw.train, params: { ...raw.train?.params, epochs: 6 } },
  });
  ({ runDir } = await trainRun({
    config,
    repoDir,
    runsDir: join(workspace, ".modelship/runs"),
    runId: "p1",
    progress: "silent",
    log: () => {},
  }));
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe("a built-in training run explains itself and draws its plots", () => {
  it("writes explanation.json over the raw features, not the one-hot columns", async () => {
    const e = ExplanationSchema.parse(JSON.parse(await readFile(join(runDir, "explanation.json"), "utf8")));
    expect(e).toMatchObject({ metric: "accuracy", repeats: 5, seed: 7 });
    expect(e.features.map((f) => f.name).sort()).toEqual([
      "bill_depth_mm",
      "bill_length_mm",
      "body_mass_g",
      "flipper_length_mm",
      "island",
      "sex",
    ]);
    const record = JSON.parse(await readFile(join(runDir, "run.json"), "utf8")) as {
      metrics: Record<string, number>;
      data: { validationRows: number };
    };
    // The unshuffled score is the run's own validation accuracy.
    expect(e.baseline).toBeCloseTo(record.metrics.accuracy!, 6);
    expect(e.rows).toBe(record.data.validationRows);
    // Shuffling the bill length costs the penguin classifier accuracy.
    expect(e.features.find((f) => f.name === "bill_length_mm")!.importance).toBeGreaterThan(0);
  });

  it("writes the validation predictions and the plots the card embeds", async () => {
    const p = ValidationPredictionsSchema.parse(
      JSON.parse(await readFile(join(runDir, "validation-predictions.json"), "utf8")),
    );
    expect(p.task).toBe("classification");
    if (p.task === "classification") {
      expect(p.labels).toEqual(["adelie", "chinstrap", "gentoo"]);
      expect(p.probabilities[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    const plots = (await readdir(join(runDir, "plots"))).filter((f) => f.endsWith(".png")).sort();
    expect(plots).toEqual([
      "class-metrics.png",
      "confusion-matrix.png",
      "feature-importance.png",
      "learning-curves-loss.png",
      "learning-curves-metrics.png",
      "pr-curve.png",
      "roc-curve.png",
    ]);
    const card = await readFile(join(runDir, "MODEL_CARD.md"), "utf8");
    expect(card).toContain("![Confusion matrix](plots/confusion-matrix.png)");
    expect(card).toContain("## What drives the model");
    expect(card).toMatch(/\| bill\\_length\\_mm \| /);
  });

  it("modelship explain prints the issue's JSON shape", async () => {
    const res = await runCli(["explain", "p1", "--json"], { cwd: workspace });
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as {
      metric: string;
      repeats: number;
      features: Array<{ name: string; importance: number; std: number }>;
    };
    expect(out.metric).toBe("accuracy");
    expect(out.repeats).toBe(5);
    expect(out.features[0]).toEqual({
      name: expect.any(String),
      importance: expect.any(Number),
      std: expect.any(Number),
    });
  });
});

describe("POST /v2/models/{name}/explain answers occlusion attributions", () => {
  const row = {
    bill_length_mm: 39.1,
    bill_depth_mm: 18.7,
    flipper_length_mm: 181,
    body_mass_g: 3750,
    island: "Torgersen",
    sex: "male",
  };
  const request = (rows: Array<Record<string, number | string>>) => ({
    inputs: Object.keys(row).map((name) => ({
      name,
      shape: [rows.length],
      datatype: typeof row[name as keyof typeof row] === "string" ? "BYTES" : "FP32",
      data: rows.map((r) => r[name]),
    })),
  });

  it("attributes each raw feature against the training reference, as /infer confirms", async () => {
    const server = await startInferenceServer({ models: [{ name: "penguins", modelPath: runDir }], port: 0 });
    try {
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${server.url}/v2/models/penguins/${path}`, {
          method: "POST",
          body: JSON.stringify(body),
        });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      const profile = JSON.parse(await readFile(join(runDir, "model/reference-profile.json"), "utf8")) as {
        features: Array<{ name: string; mean?: number }>;
      };
      const meanDepth = profile.features.find((f) => f.name === "bill_depth_mm")!.mean!;
      // The second row already has the training mean bill depth: occluding it changes nothing.
      const rows = [row, { ...row, bill_depth_mm: meanDepth, island: "Biscoe" }];
      const res = await post("explain", request(rows));
      expect(res.status).toBe(200);
      const body = res.json as {
        model_name: string;
        method: string;
        scored: string;
        reference: Record<string, unknown>;
        explanations: Array<{ prediction: string; score: number; attributions: Record<string, number> }>;
      };
      expect(body).toMatchObject({ model_name: "penguins", method: "occlusion", scored: "probability" });
      expect(body.reference.bill_depth_mm).toBeCloseTo(meanDepth, 6);
      expect(body.explanations).toHaveLength(2);
      expect(Object.keys(body.explanations[0]!.attributions).sort()).toEqual(Object.keys(row).sort());
      expect(body.explanations[1]!.attributions.bill_depth_mm).toBeCloseTo(0, 6);

      // Check one attribution by hand: score of the row minus score with bill_length at its reference.
      const occluded = { ...row, bill_length_mm: body.reference.bill_length_mm as number };
      const inferred = await post("infer", request([row, occluded]));
      const probs = (inferred.json.outputs as Array<{ name: string; data: number[] }>).find(
        (o) => o.name === "probabilities",
      )!.data;
      const k = probs.length / 2;
      const predicted = probs.slice(0, k).indexOf(Math.max(...probs.slice(0, k)));
      expect(body.explanations[0]!.score).toBeCloseTo(probs[predicted]!, 5);
      expect(body.explanations[0]!.attributions.bill_length_mm).toBeCloseTo(
        probs[predicted]! - probs[k + predicted]!,
        5,
      );

      const wrong = await post("explain", {
        inputs: [{ name: "colour", shape: [1], datatype: "BYTES", data: ["red"] }],
      });
      expect(wrong).toMatchObject({ status: 400, json: { code: "explain-needs-raw-features" } });
    } finally {
      await server.close();
    }
  });

  it("answers 409 when the model has no reference profile", async () => {
    const bare = join(workspace, "bare");
    await cp(join(runDir, "model"), join(bare, "model"), { recursive: true });
    await rm(join(bare, "model/reference-profile.json"));
    const server = await startInferenceServer({
      models: [{ name: "p", modelPath: join(bare, "model") }],
      port: 0,
    });
    try {
      const res = await fetch(`${server.url}/v2/models/p/explain`, {
        method: "POST",
        body: JSON.stringify(request([row])),
      });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { code: string }).code).toBe("explain-reference-missing");
    } finally {
      await server.close();
    }
  });
});
