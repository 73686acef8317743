// Streaming training (data.streaming.enabled) on a generated CSV: wall time per epoch (fitMs /
// epochs, per-epoch validation included) and of the whole run, against a baseline trained on
// the same file in the same process, rounds alternating. BASELINE_ROOT=<another checkout of
// Modelship> streams with that checkout's trainer (before/after a change); without it, the
// baseline is this checkout's in-memory path (slow at a million rows).
// Run: npx node bench/stream.bench.ts   (ROWS=1000000, EPOCHS=2, ROUNDS=2 by default)
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ConfigSchema } from "../core/config/schema.ts";
import type { trainRun } from "../runners/train/train-run.ts";

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const EPOCHS = Number(process.env.EPOCHS ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const baselineRoot = process.env.BASELINE_ROOT ? resolve(process.env.BASELINE_ROOT) : undefined;

type Trainer = { trainRun: typeof trainRun; ConfigSchema: typeof ConfigSchema };
async function trainerOf(root: string): Promise<Trainer> {
  const schema = (await import(join(root, "core/config/schema.ts"))) as Pick<Trainer, "ConfigSchema">;
  const train = (await import(join(root, "runners/train/train-run.ts"))) as Pick<Trainer, "trainRun">;
  return { ...schema, ...train };
}
const current = await trainerOf(resolve(import.meta.dirname, ".."));
const baseline = baselineRoot ? await trainerOf(baselineRoot) : current;

/** x1, x2 uniform, a colour, a label that depends on all three (seeded LCG: the same file every run). */
async function writeData(dir: string): Promise<void> {
  await mkdir(join(dir, "data"), { recursive: true });
  let a = 12345;
  const rand = () => (a = (a * 1103515245 + 12345) % 2147483648) / 2147483648;
  const chunks: string[] = ["x1,x2,color,label"];
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const x1 = rand();
    const x2 = rand();
    const color = ["red", "green", "blue"][Math.floor(rand() * 3)]!;
    const label = x1 + x2 + (color === "red" ? 0.3 : 0) > 1.15 ? "yes" : "no";
    lines.push(`${x1.toFixed(6)},${x2.toFixed(6)},${color},${label}`);
    if (lines.length === 10_000) chunks.push(lines.splice(0).join("\n"));
  }
  chunks.push(lines.join("\n"));
  await writeFile(join(dir, "data/big.csv"), `${chunks.join("\n")}\n`);
}

async function run(trainer: Trainer, repo: string, streaming: boolean, runId: string) {
  const config = trainer.ConfigSchema.parse({
    version: 1,
    model: { name: "big", task: "classification", target: "label", features: ["x1", "x2", "color"] },
    data: {
      source: ["data/big.csv"],
      streaming: { enabled: streaming, shuffleBuffer: 10_000, sampleRows: 500 },
      transforms: [
        { op: "standardize", column: "x1" },
        { op: "onehot", column: "color" },
      ],
    },
    train: {
      params: {
        layers: [{ units: 8, activation: "relu" }],
        epochs: EPOCHS,
        batchSize: 1024,
        learningRate: 0.05,
        seed: 5,
      },
    },
  });
  const t0 = performance.now();
  const { record } = await trainer.trainRun({
    config,
    repoDir: repo,
    runsDir: join(repo, "runs"),
    runId,
    progress: "silent",
    plots: false,
    explain: false,
    log: () => undefined,
  });
  const wallMs = performance.now() - t0;
  const t = record.timings as Record<string, number>;
  return { epochMs: t.fitMs! / EPOCHS, wallMs, accuracy: record.metrics.accuracy! };
}

const repo = await mkdtemp(join(tmpdir(), "modelship-stream-bench-"));
try {
  await writeData(repo);
  const base = baselineRoot ? `streamed by ${baselineRoot}` : "in-memory";
  console.log(`${ROWS} rows, ${EPOCHS} epochs, batch 1024, shuffle buffer 10000; baseline: ${base}`);
  const f = (x: number) => x.toFixed(0).padStart(7);
  for (let round = 1; round <= ROUNDS; round++) {
    const before = await run(baseline, repo, baselineRoot !== undefined, `base-${round}`);
    const after = await run(current, repo, true, `streamed-${round}`);
    console.log(
      `round ${round}: per epoch  baseline ${f(before.epochMs)} ms  streamed ${f(after.epochMs)} ms  ratio ${(after.epochMs / before.epochMs).toFixed(2)}×` +
        ` | whole run  baseline ${f(before.wallMs)} ms  streamed ${f(after.wallMs)} ms  ratio ${(after.wallMs / before.wallMs).toFixed(2)}×` +
        ` | accuracy ${before.accuracy.toFixed(3)} / ${after.accuracy.toFixed(3)}`,
    );
  }
} finally {
  await rm(repo, { recursive: true, force: true });
}
