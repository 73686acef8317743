import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runWithHeapCap } from "./run-capped.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { REFERENCE_PROFILE_PATH } from "../../../core/monitoring/reference-profile.ts";
import { trainRun } from "../../../runners/train/train-run.ts";

const root = join(import.meta.dirname, "../../..");
const EXAMPLE = join(root, "examples/command-trainer");

// The example's rows (x1, x2, zone, y), served as a JSON API; its program trains on its own copy.
const ROWS = (await readFile(join(EXAMPLE, "data.csv"), "utf8"))
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => {
    const [x1, x2, zone, y] = line.split(",");
    return { x1: Number(x1), x2: Number(x2), zone: zone!, y: Number(y) };
  });

let repo: string;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), "ms-cmd-stream-"));
  // The program notes the MODELSHIP_ variables it was given, then runs the example trainer.
  await writeFile(
    join(repo, "train.mjs"),
    [
      'import { writeFileSync } from "node:fs";',
      'const keys = Object.keys(process.env).filter((k) => k.startsWith("MODELSHIP_")).sort();',
      'writeFileSync("started.json", JSON.stringify(keys));',
      `await import(${JSON.stringify(pathToFileURL(join(EXAMPLE, "train.mjs")).href)});`,
    ].join("\n"),
  );
});
afterEach(async () => rm(repo, { recursive: true, force: true }));

/** A loopback API answering `rows` under `$.items`, counting the requests it answers. */
async function withApi(body: (url: string, requests: () => number) => Promise<void>): Promise<void> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ items: ROWS }));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}/rows`, () => requests);
  } finally {
    server.close();
  }
}

function config(url: string, streaming: boolean, zones: string[]) {
  return ConfigSchema.parse({
    model: { name: "cmd", task: "regression", target: "y" },
    data: {
      sources: [{ kind: "http", url, records: "$.items" }],
      streaming: { enabled: streaming },
      expectations: [{ expectation: "expect_column_values_to_be_in_set", column: "zone", value_set: zones }],
    },
    train: { command: "node train.mjs", params: { epochs: 20 } },
  });
}

const ZONES = ["north", "south", "east", "west"];

describe("train.command with data.streaming", () => {
  it("requests the source once per run and records what the in-memory path records", async () => {
    await withApi(async (url, requests) => {
      const runsDir = join(repo, "runs");
      const runs = [];
      for (const streaming of [false, true, true]) {
        const before = requests();
        const run = await trainRun({
          config: config(url, streaming, ZONES),
          repoDir: repo,
          runsDir,
          runId: `run-${runs.length}`,
          progress: "silent",
          plots: false,
        });
        expect(requests() - before, `streaming: ${streaming}`).toBe(1);
        const seen = JSON.parse(await readFile(join(repo, "started.json"), "utf8")) as string[];
        const profile = await readFile(join(run.runDir, REFERENCE_PROFILE_PATH), "utf8");
        const validation = await readFile(join(run.runDir, "validation.json"), "utf8");
        runs.push({ record: run.record, seen, profile, validation });
      }
      const [memory, streamed] = runs;
      expect(streamed!.record.data).toEqual(memory!.record.data);
      expect(streamed!.record.data.rows).toBe(ROWS.length);
      expect(streamed!.record.metrics).toEqual(memory!.record.metrics);
      expect(streamed!.seen).toEqual(memory!.seen);
      expect(streamed!.seen).toEqual(expect.arrayContaining(["MODELSHIP_OUTPUT_DIR", "MODELSHIP_PARAMS"]));
      expect(streamed!.profile).toBe(memory!.profile);
      expect(JSON.parse(streamed!.validation)).toEqual(JSON.parse(memory!.validation));
      expect(runs[2]!.record.data).toEqual(memory!.record.data);
    });
  }, 120_000);

  it("a failed suite throws a failed check before the command starts, and writes no run", async () => {
    await withApi(async (url, requests) => {
      const runsDir = join(repo, "runs");
      const err = await trainRun({
        config: config(url, true, ["north"]),
        repoDir: repo,
        runsDir,
        progress: "silent",
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelshipError);
      expect((err as ModelshipError).problems[0]).toMatchObject({ code: "data-expectations-failed" });
      expect((err as ModelshipError).failedCheck).toBe(true);
      expect(requests()).toBe(1);
      expect(await readdir(repo)).not.toContain("started.json");
      expect(await readdir(repo)).not.toContain("runs");
    });
  }, 60_000);
});

// Rows carry a 3 KB text column: ROWS_BIG of them are far more than the child's heap. Streamed,
// the suite and the profile sample see every row without keeping them; held in memory, they do not fit.
const HEAP_MB = 96;
const ROWS_BIG = 60_000;

describe("train.command with data.streaming in a small heap", () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "ms-cmd-big-"));
  });
  afterEach(async () => rm(work, { recursive: true, force: true }));

  async function writeBigRepo(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    let a = 777;
    const rand = () => (a = (a * 1103515245 + 12345) % 2147483648) / 2147483648;
    const chunks: string[] = [];
    let lines = ["x1,x2,zone,notes,y"];
    for (let i = 0; i < ROWS_BIG; i++) {
      const x1 = rand() * 10;
      const x2 = rand() * 5;
      const zone = ZONES[Math.floor(rand() * 4)]!;
      const notes = `${i.toString(36)}-`.padEnd(3000, "abcdefghij");
      lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${zone},${notes},${(x1 + 2 * x2).toFixed(4)}`);
      if (lines.length >= 5000) {
        chunks.push(lines.join("\n"));
        lines = [];
      }
    }
    chunks.push(lines.join("\n"));
    await writeFile(join(dir, "big.csv"), `${chunks.join("\n")}\n`);
    await writeFile(join(dir, "train.mjs"), await readFile(join(repo, "train.mjs"), "utf8"));
  }

  const entry = (dir: string, streaming: boolean) => `
import { ConfigSchema } from ${JSON.stringify(join(root, "core/config/schema.ts"))};
import { trainRun } from ${JSON.stringify(join(root, "runners/train/train-run.ts"))};
const config = ConfigSchema.parse({
  model: { name: "big", task: "regression", target: "y", features: ["x1", "x2", "zone"] },
  data: {
    source: ["big.csv"],
    streaming: { enabled: ${streaming}, sampleRows: 500 },
    expectations: [{ expectation: "expect_column_values_to_be_in_set", column: "zone", value_set: ${JSON.stringify(ZONES)} }],
  },
  train: { command: "node train.mjs", params: { epochs: 5 } },
});
const { record, runDir } = await trainRun({ config, repoDir: ${JSON.stringify(dir)}, runsDir: ${JSON.stringify(join(dir, "runs"))},
  runId: "big-${streaming}", progress: "silent", plots: false });
console.log(JSON.stringify({ rows: record.data.rows, runDir }));
`;

  async function child(dir: string, streaming: boolean) {
    const script = join(dir, `run-${streaming}.mjs`);
    await writeFile(script, entry(dir, streaming));
    return runWithHeapCap(script, HEAP_MB, root);
  }

  it(`validates and profiles ${ROWS_BIG} rows (~180 MB) in a ${HEAP_MB} MB heap, where the in-memory path runs out`, async () => {
    const dir = join(work, "big");
    await writeBigRepo(dir);
    const streamed = await child(dir, true);
    expect(streamed.stderr.slice(-2000)).not.toMatch(/heap out of memory/);
    expect(streamed.code, streamed.stderr.slice(-2000)).toBe(0);
    const out = JSON.parse(streamed.stdout.trim().split("\n").at(-1)!) as { rows: number; runDir: string };
    expect(out.rows).toBe(ROWS_BIG);
    const profile = JSON.parse(await readFile(join(out.runDir, REFERENCE_PROFILE_PATH), "utf8")) as {
      rows: number;
      features: { name: string }[];
    };
    expect(profile.rows).toBe(500);
    expect(profile.features.map((f) => f.name)).toEqual(["x1", "x2", "zone"]);
    const inMemory = await child(dir, false);
    expect(inMemory.code).not.toBe(0);
    expect(inMemory.stderr).toMatch(/heap out of memory|Allocation failed/);
  }, 600_000);
});
