/**
 * Prediction-log overhead: `npm run bench:log [-- --duration S --rounds N --rate R]`.
 *
 * Three `modelship serve` processes serve the same penguins model (preprocess.json fitted on the
 * example's data, raw-feature requests of real rows): one with `--prediction-log` (sample rate 1,
 * every inference logged) and two without, the second of which is the A/A control. autocannon
 * loads each in turn at a fixed 1,000 requests/s. Two identical servers differ in p99 by tens of
 * percent from one process to the next on a small shared machine (placement, JIT, the load
 * generator's share of the cores), far more than the 5% target. So every round starts three fresh
 * processes, in an order that rotates from round to round, and measures them in that order; the
 * latencies of all rounds are pooled per server kind before the p99 is taken. The bench prints the
 * pooled p99 ratio with / without logging (target: at most 1.05), the same ratio for the two
 * servers that do not log (the noise floor this run could resolve), the per-round ratios, CPU per
 * request, and how many records the logs hold (so the logged runs really logged). Then, in this
 * process, the log alone: CPU per record offered and written (the server's real request and answer
 * texts, in batches of 100 as its 100 ms timer writes them at 1,000 req/s).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { rawInferBody, writePenguinsModel } from "../test/runners/serve/penguins-model.ts";
import { createPredictionLog } from "../runners/serve/prediction-log.ts";
import { fmt, load, median, percentile, startChild, stopChild, type Load } from "./load-helpers.ts";

const MAIN = fileURLToPath(new URL("../runners/serve/main.ts", import.meta.url));

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    rounds: { type: "string", default: "6" },
    rate: { type: "string", default: "1000" },
  },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const rate = Number(values.rate);

const dir = await mkdtemp(join(tmpdir(), "modelship-bench-log-"));
type Kind = "off" | "on" | "control";
const KINDS: Kind[] = ["off", "on", "control"];
try {
  const model = await writePenguinsModel(join(dir, "model"));
  const body = JSON.stringify(rawInferBody(model.rows.slice(10, 15), model.preprocessor));
  const common = [MAIN, "--model", model.dir, "--name", "penguins", "--port", "0"];
  const url = (u: string) => `${u}/v2/models/penguins/infer`;
  const results: Record<Kind, Load[]> = { off: [], on: [], control: [] };
  let records = 0;
  for (let r = 0; r < rounds; r++) {
    // The order rotates: each kind is started and measured first, second and third in turn.
    const order = KINDS.map((_, i) => KINDS[(i + r) % KINDS.length]!);
    const logDir = join(dir, `predictions-${r}`);
    const servers = new Map<Kind, Awaited<ReturnType<typeof startChild>>>();
    try {
      for (const kind of order) {
        const args = kind === "on" ? [...common, "--prediction-log", logDir] : common;
        servers.set(kind, await startChild(args, {}, "/v2/health/ready"));
      }
      // Warm each (JIT, onnxruntime's first runs) before measuring.
      for (const kind of order)
        await load(url(servers.get(kind)!.url), body, { connections: 10, duration: 2 });
      for (const kind of order) {
        const server = servers.get(kind)!;
        const result = await load(url(server.url), body, {
          connections: 10,
          duration,
          overallRate: rate,
          pids: [server.child.pid],
        });
        results[kind].push(result);
        process.stdout.write(
          `round ${r + 1} ${kind.padEnd(7)}: ${fmt(result.reqPerSec, 0)} req/s, p50 ${fmt(result.p50)} ms, p95 ${fmt(result.p95)} ms, p99 ${fmt(result.p99)} ms, ${fmt(result.cpuUsPerReq, 0)} µs CPU/req, errors ${result.errors + result.non2xx}\n`,
        );
      }
    } finally {
      for (const server of servers.values()) await stopChild(server.child);
    }
    for (const f of await readdir(logDir)) {
      records += (await readFile(join(logDir, f), "utf8")).split("\n").filter((l) => l !== "").length;
    }
  }
  const probe = await startChild(common, {}, "/v2/health/ready");
  const response = await (
    await fetch(url(probe.url), { method: "POST", headers: { "content-type": "application/json" }, body })
  ).text();
  await stopChild(probe.child);
  const alone = await logAlone(join(dir, "alone"), body, response);
  report(results, records, alone);
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** The p99 of every latency of a kind's runs together. */
function pooledP99(runs: Load[]): number {
  const all = new Float64Array(runs.reduce((n, l) => n + l.latencies.length, 0));
  let at = 0;
  for (const l of runs) {
    all.set(l.latencies, at);
    at += l.latencies.length;
  }
  return percentile(all.sort(), 0.99);
}

function report(results: Record<Kind, Load[]>, records: number, alone: number[]): void {
  const p99 = { off: pooledP99(results.off), on: pooledP99(results.on), control: pooledP99(results.control) };
  const cpu = (k: Kind) =>
    (1e6 * results[k].reduce((s, l) => s + l.cpuSeconds, 0)) / results[k].reduce((n, l) => n + l.requests, 0);
  const perRound = (k: Kind) => results[k].map((l, i) => fmt(l.p99 / results.off[i]!.p99, 2)).join(", ");
  const answered = results.on.reduce((n, l) => n + l.requests, 0);
  process.stdout.write(
    [
      "",
      `${rate} req/s, ${rounds} rounds of ${duration} s (three fresh servers per round), 10 connections, 5 raw-feature rows per request`,
      `pooled p99: without logging ${fmt(p99.off)} ms, with logging ${fmt(p99.on)} ms, A/A control (no logging) ${fmt(p99.control)} ms`,
      `p99 ratio with / without logging (pooled): ${fmt(p99.on / p99.off, 3)}  (target ≤ 1.05)`,
      `p99 ratio control / without (pooled):      ${fmt(p99.control / p99.off, 3)}  (two identical servers: the noise floor of this run)`,
      `per-round p99 ratios: with logging ${perRound("on")}; control ${perRound("control")}`,
      `CPU per request (all rounds): ${fmt(cpu("off"), 0)} µs without, ${fmt(cpu("on"), 0)} µs with (ratio ${fmt(cpu("on") / cpu("off"), 3)}), control ${fmt(cpu("control"), 0)} µs (ratio ${fmt(cpu("control") / cpu("off"), 3)})`,
      `records logged:             ${records} (requests answered while logging, warm-up excluded: ${answered})`,
      `the log alone, in-process:  ${alone.map((a) => fmt(a, 1)).join(", ")} µs CPU per record (rounds); median ${fmt(median(alone), 1)} µs = ${fmt((100 * median(alone)) / cpu("off"), 1)}% of the server's CPU per request`,
      "",
    ].join("\n"),
  );
}

/** CPU µs per record of a prediction log fed the server's own texts, in batches of 100, over 3 rounds. */
async function logAlone(logDir: string, request: string, response: string): Promise<number[]> {
  const log = createPredictionLog({ dir: logDir });
  const out: number[] = [];
  try {
    for (let round = 0; round < 4; round++) {
      const n = 20_000;
      const started = process.cpuUsage();
      for (let i = 0; i < n; i += 100) {
        for (let j = 0; j < 100; j++) {
          if (!log.sample()) continue;
          log.offer({
            at: Date.now(),
            id: randomUUID(),
            model: "penguins",
            version: "1",
            variant: "stable",
            traffic: "client",
            latencyMs: 1.234,
            status: 200,
            bodyBytes: request.length,
            rows: 5,
            request,
            response,
          });
        }
        await log.flush();
      }
      const used = process.cpuUsage(started);
      // The first round warms the JIT up.
      if (round > 0) out.push((used.user + used.system) / n);
    }
  } finally {
    await log.close();
  }
  return out;
}
