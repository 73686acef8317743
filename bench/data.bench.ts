/**
 * Data loading benchmark: `node bench/data.bench.ts [--rows N] [--rounds R] [--workers W]`.
 *
 * Loads `flights-3m.parquet` (from the vega-datasets package) and a CSV of its first N rows
 * (default 1,000,000) made in a temporary directory, each in a fresh child process so peak RSS
 * is its own: the pull (streaming, worker threads for CSV) against a single-threaded baseline
 * in the same run (csv-parse's whole-file parser; hyparquet reading the whole file). Prints rows/s,
 * CPU time (the whole process, and its main thread alone), peak RSS and the ratios; the summary
 * takes medians over the rounds. `--workers` sets `data.loading.workers` (default: its default).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { pullData } from "../adapters/data-sources/pull-data.ts";
import { csvCell } from "../adapters/data-sources/read-csv-rows.ts";
import { DataLoadingSchema } from "../core/config/data-sources-schema.ts";

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PARQUET = "node_modules/vega-datasets/data/flights-3m.parquet";

/** Wall time, CPU time of the whole process (every thread) and of its main thread, peak RSS. */
type Result = { rows: number; ms: number; cpuMs: number; mainCpuMs: number; peakRssMiB: number };
type Mode = "csv-baseline" | "csv-pull" | "parquet-baseline" | "parquet-pull";

async function child(mode: Mode, dir: string, workers: number | undefined): Promise<Result> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = process.threadCpuUsage();
  let rows = 0;
  if (mode === "csv-baseline") {
    const records = parse(await readFile(join(dir, "flights.csv")), { columns: true, trim: true }) as Record<
      string,
      string
    >[];
    const out = records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, csvCell(v)])));
    rows = out.length;
  } else if (mode === "parquet-baseline") {
    rows = (await parquetReadObjects({ file: await asyncBufferFromFile(join(ROOT, PARQUET)), compressors }))
      .length;
  } else {
    const csv = mode === "csv-pull";
    const pulled = await pullData({
      repoDir: csv ? dir : ROOT,
      data: {
        source: [],
        format: "auto",
        sources: [{ kind: "file", path: csv ? "flights.csv" : PARQUET, format: "auto" }],
        loading: DataLoadingSchema.parse(workers === undefined ? {} : { workers }),
      },
      snapshotsDir: null,
    });
    rows = pulled.rows.length;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const main = process.threadCpuUsage(main0);
  return {
    rows,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainCpuMs: (main.user + main.system) / 1000,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

async function measure(mode: Mode, dir: string, workers: number): Promise<Result> {
  const { stdout } = await run(
    process.execPath,
    [SELF, "--child", mode, "--dir", dir, `--workers=${workers < 0 ? "default" : workers}`],
    {
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout) as Result;
}

async function makeCsv(dir: string, rows: number): Promise<void> {
  const objects = await parquetReadObjects({
    file: await asyncBufferFromFile(join(ROOT, PARQUET)),
    compressors,
    rowEnd: rows,
  });
  const columns = Object.keys(objects[0]!);
  const lines = [columns.join(",")];
  for (const o of objects)
    lines.push(columns.map((c) => String((o as Record<string, unknown>)[c] ?? "")).join(","));
  await writeFile(join(dir, "flights.csv"), `${lines.join("\n")}\n`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: "string" },
      dir: { type: "string", default: "" },
      rows: { type: "string", default: "1000000" },
      rounds: { type: "string", default: "3" },
      workers: { type: "string", default: "default" },
    },
  });
  const workers = values.workers === "default" ? -1 : Number(values.workers);
  if (values.child) {
    const r = await child(values.child as Mode, values.dir, workers < 0 ? undefined : workers);
    process.stdout.write(JSON.stringify(r));
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "modelship-data-bench-"));
  try {
    await makeCsv(dir, Number(values.rows));
    const modes: Mode[] = ["csv-baseline", "csv-pull", "parquet-baseline", "parquet-pull"];
    const results = new Map<Mode, Result[]>(modes.map((m) => [m, []]));
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const mode of modes) {
        const r = await measure(mode, dir, workers);
        results.get(mode)!.push(r);
        console.log(
          `round ${round} ${mode.padEnd(16)} ${r.rows} rows in ${r.ms.toFixed(0)} ms: ${Math.round((r.rows / r.ms) * 1000)} rows/s, CPU ${r.cpuMs.toFixed(0)} ms (main thread ${r.mainCpuMs.toFixed(0)} ms), peak RSS ${r.peakRssMiB.toFixed(0)} MiB`,
        );
      }
    }
    const rate = (m: Mode) => median(results.get(m)!.map((r) => r.rows / r.ms));
    const rss = (m: Mode) => median(results.get(m)!.map((r) => r.peakRssMiB));
    console.log(`\nmedians over ${values.rounds} rounds (workers: ${workers < 0 ? "default" : workers})`);
    for (const [kind, base, pull] of [
      ["CSV", "csv-baseline", "csv-pull"],
      ["Parquet", "parquet-baseline", "parquet-pull"],
    ] as const) {
      console.log(
        `${kind}: pull ${(rate(pull) / rate(base)).toFixed(2)}x the baseline's rows/s; peak RSS ${rss(pull).toFixed(0)} MiB vs ${rss(base).toFixed(0)} MiB`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
