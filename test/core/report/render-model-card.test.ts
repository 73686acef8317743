import { describe, expect, it } from "vitest";
import { readRunDir } from "../../../adapters/run-dir/read-run-dir.ts";
import { MODEL_CARD_LIMIT, renderModelCard } from "../../../core/report/render-model-card.ts";
import type { RunRecord } from "../../../core/run/run-record.ts";

describe("renderModelCard", () => {
  it("renders the card of a real built-in run", async () => {
    const { record } = await readRunDir("test/fixtures/runs/iris-candidate");
    const card = renderModelCard(record, {
      version: "1.3.0",
      parentVersion: "1.2.0",
      lineage: { "Pull request": "https://github.com/acme/iris/pull/42" },
    });
    expect(card).toMatchSnapshot();
  });

  it("renders a command-trained run without signature or parity", async () => {
    const { record } = await readRunDir("test/fixtures/runs/dvc-nested");
    const card = renderModelCard(record);
    expect(card.startsWith("# Model card: iris\n")).toBe(true);
    expect(card).toContain("| Command | python train.py --epochs 3 |");
    expect(card).not.toContain("## Signature");
    expect(card).not.toContain("## Parity check");
  });

  it("escapes every string that comes from the run", async () => {
    const { record } = await readRunDir("test/fixtures/runs/iris-candidate");
    const hostile: RunRecord = {
      ...record,
      runId: "<img src=x> @octocat",
      model: { name: "iris --> <!-- @team", task: "classification" },
      backend: "wasm | `x`",
      code: { commit: "abc\n# injected", dirty: true, branch: "@everyone" },
      metrics: { "<b>acc</b>": 0.9 },
      params: { "note\n\n<script>": "x -->" },
      signature: {
        inputs: [{ name: "@in", datatype: "FP32", shape: [-1, 4] }],
        outputs: [],
        labels: ["<i>a</i>"],
      },
    };
    const card = renderModelCard(hostile, { version: "1.0.0 @x", lineage: { "@who": "<a href=y>" } });
    expect(card).not.toMatch(/<(?!!)/);
    expect(card).not.toContain("-->");
    expect(card).not.toMatch(/@(?!&#8203;)/);
    expect(card).not.toMatch(/^# injected/m);
    expect(card).toContain("| Uncommitted changes | yes |");
  });
});

describe("renderModelCard size", () => {
  it("stays within GitHub's release body limit for a run with thousands of long metric names", async () => {
    const { record } = await readRunDir("test/fixtures/runs/iris-candidate");
    const long = (p: string): Record<string, number> =>
      Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`${p}_${i}_${"&".repeat(150)}`, i]));
    const card = renderModelCard({ ...record, metrics: long("m"), params: long("p") });
    expect(card.length).toBeLessThanOrEqual(MODEL_CARD_LIMIT);
    expect(card.startsWith("# Model card: iris")).toBe(true);
    expect(card).toMatch(/release size limit/);
  });
});

describe("renderModelCard of a failed run", () => {
  it("warns at the top that the run failed and why", async () => {
    const { record } = await readRunDir("test/fixtures/runs/iris-candidate");
    const card = renderModelCard({
      ...record,
      status: "failed",
      failure: { code: "parity-failed", message: "ONNX output differs by 0.3 <script>" },
    });
    expect(card).toContain(
      "> [!WARNING]\n> This run failed: ONNX output differs by 0.3 &lt;script&gt; (`parity-failed`). It is kept for inspection and must not be released.",
    );
  });
});

describe("renderModelCard of a run from the current trainer", () => {
  it("names metrics in words, splits training and validation rows, and says where it trained", async () => {
    const { record } = await readRunDir("test/fixtures/runs/iris-candidate");
    const card = renderModelCard({
      ...record,
      model: { name: "prices", task: "regression" },
      metrics: { rmse: 112.7, mae: 83.1, r2: 0.975, val_loss: 0.027, weird_custom_score: 1 },
      data: { ...record.data, rows: 400, trainRows: 320, validationRows: 80 },
      targetTransform: { op: "standardize", mean: 3012.5, std: 1140.25 },
      device: "cpu",
      skippedBackends: [{ backend: "tensorflow-gpu", reason: "@tensorflow/tfjs-node-gpu is not installed" }],
      parity: { rows: 80, rtol: 1e-4, atol: 1e-5, maxAbsDiff: 3.5e-4, mismatches: 0, ok: true },
    });
    for (const row of [
      "| RMSE (root mean squared error) | 112.7000 |",
      "| MAE (mean absolute error) | 83.1000 |",
      "| R² (coefficient of determination) | 0.9750 |",
      "| Validation loss | 0.0270 |",
      "| Weird custom score | 1 |",
    ]) {
      expect(card).toContain(row);
    }
    expect(card).not.toMatch(/\| (rmse|val_loss|weird_custom_score) \|/);
    expect(card).toContain("- Training rows: 320\n- Validation rows: 80\n");
    expect(card).toContain("Computed on the 80 validation rows");
    expect(card).toContain(
      "- Target: standardized on the training rows (mean 3012.5000, standard deviation 1140.2500)",
    );
    expect(card).toContain("| Device | cpu |");
    expect(card).toContain("| Skipped tensorflow-gpu | @&#8203;tensorflow/tfjs-node-gpu is not installed |");
    expect(card).toContain("|ONNX − TensorFlow.js| ≤ 1.000e-5 + 0.0001 · |TensorFlow.js| for every output");
  });
});
