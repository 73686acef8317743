/**
 * Shared by bench/stream.bench.ts and bench/memory.bench.ts: a generated CSV of ROWS rows and one
 * training run on it with a given checkout's trainer (this one, or BASELINE_ROOT's).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { ConfigSchema } from "../core/config/schema.ts";
import type { trainRun } from "../runners/train/train-run.ts";

export const ROWS = Number(process.env.ROWS ?? 1_000_000);
export const EPOCHS = Number(process.env.EPOCHS ?? 2);
export const ROUNDS = Number(process.env.ROUNDS ?? 2);
export const baselineRoot = process.env.BASELINE_ROOT ? resolve(process.env.BASELINE_ROOT) : undefined;

export type Trainer = { trainRun: typeof trainRun; ConfigSchema: typeof ConfigSchema };

/** The trainer of the checkout at `root` (this one by default). */
export async function trainerOf(root = resolve(import.meta.dirname, "..")): Promise<Trainer> {
  const schema = (await import(join(root, "core/config/schema.ts"))) as Pick<Trainer, "ConfigSchema">;
  const train = (await import(join(root, "runners/train/train-run.ts"))) as Pick<Trainer, "trainRun">;
  return { ...schema, ...train };
}

/** x1, x2 uniform, a colour, a label that depends on all three (seeded LCG: the same file every run). */
export async function writeBigCsv(dir: string): Promise<void> {
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

export type BigRun = { epochMs: number; evaluateMs: number; wallMs: number; accuracy: number };

/** One run on data/big.csv in `repo`: an 8-unit MLP, batch 1024, streamed or in memory. */
export async function trainBig(
  trainer: Trainer,
  repo: string,
  streaming: boolean,
  runId: string,
): Promise<BigRun> {
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
    evaluateMs: t.evaluateMs ?? NaN,
    wallMs,
    accuracy: record.metrics.accuracy!,
  };
}
