/**
 * Micro-batching benchmark: `node bench/batch.bench.ts [--duration S] [--rounds N] [--model wide-mlp|classifier] [-- extra serve flags]`.
 *
 * Serves the medium fixture model (a 256 → 1024 → 1024 → 16 MLP, 1.3 M weights; `--model
 * classifier`: the small 4-feature fixture classifier) in child processes: unbatched
 * (`--max-batch-rows 1`), with the default same-turn stacking, the same with `session.run` in a
 * worker thread (`--inference-thread worker`), and, when extra flags are given (e.g.
 * `-- --max-queue-delay-us 1000 --preferred-batch-rows 16`), with those.
 * Each is loaded with the same single-row requests at 32 connections, in turn, round after round;
 * the summary gives medians of the ratios to the unbatched server and of p99, and of the worker
 * thread's req/s to the event loop's.
 */
import { availableParallelism } from "node:os";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ChildProcess } from "node:child_process";
import { classifierModel, wideMlpModel } from "../test/fixtures/onnx/make-models.ts";
import { fmt, inRounds, load, loadTable, median, startChild, stopChild, type Load } from "./load-helpers.ts";

const SERVE = fileURLToPath(new URL("../runners/serve/main.ts", import.meta.url));
/** The models it can serve: file bytes and the width of one input row. */
const MODELS = {
  "wide-mlp": { bytes: () => wideMlpModel(), width: 256 },
  classifier: { bytes: () => classifierModel(), width: 4 },
} as const;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      duration: { type: "string", default: "5" },
      rounds: { type: "string", default: "3" },
      connections: { type: "string", default: "32" },
      model: { type: "string", default: "wide-mlp" },
    },
  });
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const tmp = await mkdtemp(join(tmpdir(), "modelship-batch-bench-"));
  const children: ChildProcess[] = [];
  try {
    const chosen = MODELS[values.model as keyof typeof MODELS];
    if (chosen === undefined) throw new Error(`--model must be one of ${Object.keys(MODELS).join(", ")}`);
    const model = join(tmp, `${values.model}.onnx`);
    await writeFile(model, chosen.bytes());
    const row = Array.from({ length: chosen.width }, (_, i) => Math.round(Math.sin(i) * 1000) / 1000);
    const body = JSON.stringify({
      inputs: [{ name: "input", shape: [1, chosen.width], datatype: "FP32", data: row }],
    });
    const start = async (flags: string[]) => {
      const s = await startChild(
        [SERVE, "--model", model, "--name", "mlp", "--port", "0", ...flags],
        {},
        "/v2/health/ready",
      );
      children.push(s.child);
      return { url: `${s.url}/v2/models/mlp/infer`, pid: s.child.pid };
    };
    const configs: Array<[string, string[]]> = [
      ["unbatched", ["--max-batch-rows", "1"]],
      ["same turn (default)", []],
      ["same turn, worker thread", ["--inference-thread", "worker"]],
      ...(positionals.length === 0 ? [] : [["window", positionals] as [string, string[]]]),
    ];
    const servers: Array<{ name: string; url: string; pid: number | undefined }> = [];
    for (const [name, flags] of configs) servers.push({ name, ...(await start(flags)) });
    for (const s of servers) await load(s.url, body, { connections, duration: 2 });
    const rounds = await inRounds(Number(values.rounds), async () => {
      const round: Load[] = [];
      for (const s of servers) round.push(await load(s.url, body, { connections, duration, pids: [s.pid] }));
      return round;
    });
    const table = loadTable(26, ["req/s", "p50 ms", "p99 ms", "failed", "cpu us/req"]);
    const out = ["", ...table.header];
    rounds.forEach((r, i) => r.forEach((l, k) => out.push(table.row(`${i + 1} ${servers[k]!.name}`, l))));
    out.push("");
    servers.forEach((s, k) => {
      if (k === 0) return;
      const ratio = median(rounds.map((r) => r[k]!.reqPerSec / r[0]!.reqPerSec));
      out.push(
        `${s.name} / unbatched req/s: ${fmt(ratio)} (target >= 1.80), p99 ${fmt(median(rounds.map((r) => r[k]!.p99)))} ms against ${fmt(median(rounds.map((r) => r[0]!.p99)))} ms (medians of ${rounds.length})`,
      );
    });
    const onLoop = servers.findIndex((s) => s.name === "same turn (default)");
    const inWorker = servers.findIndex((s) => s.name === "same turn, worker thread");
    out.push(
      `worker thread / event loop req/s: ${fmt(median(rounds.map((r) => r[inWorker]!.reqPerSec / r[onLoop]!.reqPerSec)))}, CPU per request ${fmt(median(rounds.map((r) => r[inWorker]!.cpuUsPerReq / r[onLoop]!.cpuUsPerReq)))}× (medians of ${rounds.length}; above 1 req/s would make the worker the better default)`,
      `window flags: ${positionals.length === 0 ? "none given" : positionals.join(" ")}; ${connections} connections, single-row JSON requests, model ${values.model}`,
      `${availableParallelism()} cores shared by load generator and servers; ${duration} s per run, node ${process.version}`,
      "",
    );
    process.stdout.write(out.join("\n"));
  } finally {
    for (const child of children) await stopChild(child).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
