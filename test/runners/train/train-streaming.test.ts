import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWithHeapCap } from "./run-capped.ts";
import { ConfigSchema, type ConfigInput } from "../../../core/config/schema.ts";
import { parsePreprocessor } from "../../../core/features/preprocessor.ts";
import { RUN_FILES } from "../../../core/run/run-record.ts";
import { trainRun } from "../../../runners/train/train-run.ts";

const root = join(import.meta.dirname, "../../..");
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modelship-stream-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

describe("streaming training (data.streaming.enabled)", () => {
  it("trains the penguins example from the snapshot, and the same seed gives the same model", async () => {
    const repo = join(work, "penguins");
    await mkdir(join(repo, "data"), { recursive: true });
    await copyFile(join(root, "examples/penguins/data/penguins.json"), join(repo, "data/penguins.json"));
    const raw = parse(await readFile(join(root, "examples/penguins/modelship.yml"), "utf8")) as ConfigInput;
    const config = ConfigSchema.parse({
      ...raw,
      data: { ...raw.data, source: ["data/penguins.json"], streaming: { enabled: true, shuffleBuffer: 64 } },
      train: { ...raw.train, params: { ...raw.train?.params, epochs: 15 } },
    });
    // The run id is in the ONNX metadata: both runs get the same one, in their own runs directory.
    const train = (runId: string) =>
      trainRun({
        config,
        repoDir: repo,
        runsDir: join(work, runId),
        runId: "same",
        progress: "silent",
        plots: false,
        log: () => undefined,
      });
    const a = await train("a");
    const b = await train("b");
    const rows = (JSON.parse(await readFile(join(repo, "data/penguins.json"), "utf8")) as unknown[]).length;
    expect(a.record.status).toBe("succeeded");
    expect(a.record.data.trainRows! + a.record.data.validationRows!).toBe(rows);
    expect(a.record.data.validationRows! / rows).toBeGreaterThan(0.1);
    expect(a.record.data.validationRows! / rows).toBeLessThan(0.3);
    expect(a.record.metrics.accuracy).toBeGreaterThan(0.85);
    expect(a.record.parity?.ok).toBe(true);
    parsePreprocessor(
      JSON.parse(await readFile(join(a.runDir, RUN_FILES.preprocess), "utf8")),
      "preprocess.json",
    );
    expect(await sha(join(b.runDir, RUN_FILES.model))).toBe(await sha(join(a.runDir, RUN_FILES.model)));
    expect(b.record.metrics).toEqual(a.record.metrics);
  }, 300_000);

  // Rows carry a 3 KB text column the model does not use: 100,000 of them are ~300 MB, more than
  // the 128 MB heap the child gets. Streaming holds the shuffle buffer and one batch; the
  // in-memory path must hold every row, and runs out of memory on the same file.
  const HEAP_MB = 128;
  const ROWS = 100_000;

  async function writeBigRepo(dir: string): Promise<void> {
    await mkdir(join(dir, "data"), { recursive: true });
    let a = 12345;
    const rand = () => (a = (a * 1103515245 + 12345) % 2147483648) / 2147483648;
    const lines = ["x1,x2,color,notes,label"];
    const chunks: string[] = [];
    for (let i = 0; i < ROWS; i++) {
      const x1 = rand();
      const x2 = rand();
      const color = ["red", "green", "blue"][Math.floor(rand() * 3)]!;
      const label = x1 + x2 + (color === "red" ? 0.3 : 0) > 1.15 ? "yes" : "no";
      const notes = `${i.toString(36)}-`.padEnd(3000, "abcdefghij");
      lines.push(`${x1.toFixed(6)},${x2.toFixed(6)},${color},${notes},${label}`);
      if (lines.length >= 5000) chunks.push(lines.splice(0).join("\n"));
    }
    chunks.push(lines.join("\n"));
    await writeFile(join(dir, "data/big.csv"), `${chunks.join("\n")}\n`);
  }

  const entry = (repo: string, streaming: boolean) => `
import { ConfigSchema } from ${JSON.stringify(join(root, "core/config/schema.ts"))};
import { trainRun } from ${JSON.stringify(join(root, "runners/train/train-run.ts"))};
const config = ConfigSchema.parse({
  version: 1,
  model: { name: "big", task: "classification", target: "label", features: ["x1", "x2", "color"] },
  data: {
    source: ["data/big.csv"],
    streaming: { enabled: ${streaming}, shuffleBuffer: 1024, sampleRows: 500 },
    transforms: [{ op: "standardize", column: "x1" }, { op: "onehot", column: "color" }],
  },
  train: { params: { layers: [{ units: 8, activation: "relu" }], epochs: 1, batchSize: 128, learningRate: 0.05, seed: 5 } },
});
const { record } = await trainRun({ config, repoDir: ${JSON.stringify(repo)}, runsDir: ${JSON.stringify(join(repo, "runs"))},
  runId: "big-${streaming}", progress: "silent", plots: false, explain: false, log: () => undefined });
console.log(JSON.stringify({ metrics: record.metrics, data: record.data, heapLimitMB: ${HEAP_MB} }));
`;

  async function child(
    repo: string,
    streaming: boolean,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    // A file, not -e: the loader's worker threads inherit the flags, and --input-type breaks them.
    const script = join(repo, `train-${streaming}.mjs`);
    await writeFile(script, entry(repo, streaming));
    return runWithHeapCap(script, HEAP_MB, root);
  }

  it(`trains on ${ROWS} rows (~300 MB) in a ${HEAP_MB} MB heap, where the in-memory path runs out`, async () => {
    const repo = join(work, "big");
    await writeBigRepo(repo);
    const streamed = await child(repo, true);
    expect(streamed.stderr.slice(-2000)).not.toMatch(/heap out of memory/);
    expect(streamed.code).toBe(0);
    const out = JSON.parse(streamed.stdout.trim().split("\n").at(-1)!) as {
      metrics: Record<string, number>;
      data: { trainRows: number; validationRows: number; rows: number };
    };
    expect(out.data.rows).toBe(ROWS);
    expect(out.data.trainRows + out.data.validationRows).toBe(ROWS);
    expect(out.metrics.accuracy).toBeGreaterThan(0.9);
    const inMemory = await child(repo, false);
    expect(inMemory.code).not.toBe(0);
    expect(inMemory.stderr).toMatch(/heap out of memory|Allocation failed/);
  }, 600_000);
});
