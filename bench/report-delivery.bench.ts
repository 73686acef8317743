/**
 * The App's `workflow_run.completed` delivery for a PR's training run:
 * `npx node bench/report-delivery.bench.ts [--rounds N]`.
 *
 * Each round: a fresh fake GitHub with v1.0.0 registered, `/train` on PR #1, the run's artifacts
 * (the run directory, and the report job's comparison plots drawn as `modelship plots` draws them),
 * then the delivery, timed from `receive` until the handler returns (artifacts downloaded, images
 * committed, sticky comment written, check run completed).
 * Measured in the same run, for comparison: drawing those comparison plots in-process (what the
 * handler did per delivery before the report job drew them), and the import of the renderer in a
 * fresh Node process (what the first delivery after the App started paid on top).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { writeComparisonPlots } from "../adapters/plots/write-comparison-plots.ts";
import {
  VALIDATION_PREDICTIONS_FILE,
  type ValidationPredictions,
} from "../core/run/validation-predictions.ts";
import { commentPayload, startHarness } from "../test/bot/bot-harness.ts";
import { completeTrainingRun, registerBaseline, uploadedRunDir } from "../test/bot/train-on-pr.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "7" } } });
const ROUNDS = Number(values.rounds);

/**
 * 2,000 validation rows of three classes (a seeded generator, the right class likelier), so the
 * comparison draws what a classification run draws: learning curves, confusion matrix, per-class
 * bars, ROC and PR curves.
 */
async function addPredictions(runDir: string, seed: number): Promise<void> {
  let state = seed;
  const random = (): number => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const truth = Array.from({ length: 2000 }, () => Math.floor(random() * 3));
  const probabilities = truth.map((t) => {
    const raw = [0, 1, 2].map((k) => random() + (k === t ? 0.8 : 0));
    const sum = raw.reduce((a, b) => a + b, 0);
    return raw.map((v) => v / sum);
  });
  const file: ValidationPredictions = {
    schemaVersion: 1,
    task: "classification",
    labels: ["setosa", "versicolor", "virginica"],
    truth,
    probabilities,
  };
  await writeFile(join(runDir, VALIDATION_PREDICTIONS_FILE), JSON.stringify(file));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number): string => `${x.toFixed(0)} ms`;

const work = await mkdtemp(join(tmpdir(), "modelship-bench-delivery-"));
const delivery: number[] = [];
const drawing: number[] = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    const h = await startHarness();
    const baselineDir = await registerBaseline(h, work);
    const runDir = await uploadedRunDir(work, "iris-candidate");
    await addPredictions(runDir, 1);
    await addPredictions(baselineDir, 2);
    const plotsDir = join(work, `plots-${i}`);
    const drawStart = performance.now();
    await writeComparisonPlots({ out: plotsDir, candidateDir: runDir, baselineDir });
    drawing.push(performance.now() - drawStart);
    await h.receive("issue_comment", commentPayload(h, { body: "/train" }));
    const run = await completeTrainingRun(h, { runDir, plotsDir });
    const start = performance.now();
    await h.receive("workflow_run", run);
    delivery.push(performance.now() - start);
    if (!h.repo.refs["refs/heads/modelship-assets"]) throw new Error("the delivery committed no images");
    if (i === 0)
      console.log(
        `charts per report: ${(await readdir(join(plotsDir, "plots"))).filter((f) => f.endsWith(".png")).length}`,
      );
    await h.close();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

// The renderer's import in a process that has not loaded it yet, as the App paid it once per start.
const importer = `const t = performance.now(); await import(${JSON.stringify(new URL("../adapters/plots/write-run-plots.ts", import.meta.url).href)}); console.log(performance.now() - t);`;
const colds: number[] = [];
for (let i = 0; i < 3; i++) {
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", importer]);
  colds.push(Number(stdout.trim()));
}

const d = median(delivery);
const w = median(drawing);
console.log(`workflow_run delivery (${ROUNDS} rounds): ${delivery.map(ms).join(", ")}; median ${ms(d)}`);
console.log(
  `drawing the comparison plots in-process: median ${ms(w)}; renderer import, cold: median ${ms(median(colds))}`,
);
console.log(
  `delivery without drawing / with drawing (median, warm): ${(d / (d + w)).toFixed(2)}; with the cold import: ${(d / (d + w + median(colds))).toFixed(2)}`,
);
