// In-memory training (data.streaming off) against streaming training on the same generated CSV,
// in the same process, rounds alternating: wall time per epoch (fitMs / epochs, per-epoch
// validation included), the final evaluation, and the whole run. BASELINE_ROOT=<another
// checkout of Modelship> adds that checkout's in-memory trainer on the same file (before/after
// a change). The file is the one bench/stream.bench.ts generates.
// Run: npx node bench/memory.bench.ts   (ROWS=1000000, EPOCHS=2, ROUNDS=2 by default)
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
const baseline = baselineRoot ? await trainerOf(baselineRoot) : undefined;

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

type Result = { epochMs: number; evaluateMs: number; wallMs: number; accuracy: number };

async function run(trainer: Trainer, repo: string, streaming: boolean, runId: string): Promise<Result> {
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
  return {
    epochMs: t.fitMs! / EPOCHS,
    evaluateMs: t.evaluateMs!,
    wallMs,
    accuracy: record.metrics.accuracy!,
  };
}

const f = (x: number) => x.toFixed(0).padStart(7);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const line = (name: string, r: Result) =>
  `  ${name.padEnd(20)} per epoch ${f(r.epochMs)} ms  evaluation ${f(r.evaluateMs)} ms  whole run ${f(r.wallMs)} ms  accuracy ${r.accuracy.toFixed(4)}`;

const repo = await mkdtemp(join(tmpdir(), "modelship-memory-bench-"));
try {
  await writeData(repo);
  console.log(
    `${ROWS} rows, ${EPOCHS} epochs, batch 1024; in memory against streamed (shuffle buffer 10000)` +
      (baselineRoot ? ` and against ${baselineRoot} in memory` : ""),
  );
  for (let round = 1; round <= ROUNDS; round++) {
    const old = baseline ? await run(baseline, repo, false, `base-${round}`) : undefined;
    const memory = await run(current, repo, false, `memory-${round}`);
    const streamed = await run(current, repo, true, `streamed-${round}`);
    console.log(`round ${round}:`);
    if (old) console.log(line("baseline in memory", old));
    console.log(line("in memory", memory));
    console.log(line("streamed", streamed));
    console.log(
      `  per epoch: in memory / streamed ${ratio(memory.epochMs, streamed.epochMs)}` +
        (old
          ? `; in memory / baseline ${ratio(memory.epochMs, old.epochMs)} (evaluation ${ratio(memory.evaluateMs, old.evaluateMs)}, whole run ${ratio(memory.wallMs, old.wallMs)})`
          : ""),
    );
  }
} finally {
  await rm(repo, { recursive: true, force: true });
}
