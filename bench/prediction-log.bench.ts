/**
 * Prediction-log overhead: `npm run bench:log [-- --generations N --slices N --rate R --sample-rate F --no-pin]`.
 *
 * Three `modelship serve` processes serve the same penguins model (preprocess.json fitted on the
 * example's data, raw-feature requests of real rows): one with `--prediction-log` (every inference
 * logged unless --sample-rate says less) and two without, the second of which is the A/A control.
 * Two identical servers differ in p99 by tens of percent over a few seconds on a small shared
 * machine (the load generator's share of the cores, timers, the host), far more than the 5% target,
 * so the bench spreads that noise over all three alike: autocannon loads them in turn at a fixed
 * 1,000 requests/s in 1 s slices whose order rotates, many slices per process, and several
 * generations of three fresh processes (placement and JIT differ from one process to the next).
 * The latencies of every slice are pooled per kind before percentiles are taken. Where the machine
 * has 2 cores or more (and `taskset` is there), the bench's own process, the load generator, runs
 * on core 0 and the servers on the others, so the generator's work does not land on a server's
 * core by chance; --no-pin leaves placement to the kernel.
 *
 * It prints the pooled p50/p99/p999 of each kind, the p99 ratio with / without logging (target: at
 * most 1.05), the same ratio for the two servers that do not log (the noise floor this run could
 * resolve), CPU per request, and how many records the logs hold (so the logged runs really
 * logged). Then, in this process, the log alone: CPU per record offered and written (the server's
 * real request and answer texts, in batches of 100 as its 100 ms timer writes them at 1,000 req/s).
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { rawInferBody, writePenguinsModel } from "../test/runners/serve/penguins-model.ts";
import { createPredictionLog } from "../runners/serve/prediction-log.ts";
import { fmt, load, median, percentile, startChild, stopChild, type Load } from "./load-helpers.ts";

const MAIN = fileURLToPath(new URL("../runners/serve/main.ts", import.meta.url));

const { values } = parseArgs({
  options: {
    generations: { type: "string", default: "4" },
    slices: { type: "string", default: "12" },
    "slice-seconds": { type: "string", default: "1" },
    rate: { type: "string", default: "1000" },
    "sample-rate": { type: "string", default: "1" },
    "no-pin": { type: "boolean", default: false },
  },
});
const generations = Number(values.generations);
const slices = Number(values.slices);
const sliceSeconds = Number(values["slice-seconds"]);
const rate = Number(values.rate);
const sampleRate = values["sample-rate"];
const cores = availableParallelism();
const pin = !values["no-pin"] && cores >= 2 && hasTaskset();

/** Whether `taskset` (util-linux) can pin processes here. */
function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Moves every thread of `pid` onto `cpus` (a taskset list such as "1-3"). */
function pinTo(pid: number | undefined, cpus: string): void {
  if (pin && pid !== undefined)
    execFileSync("taskset", ["-a", "-cp", cpus, String(pid)], { stdio: "ignore" });
}

const dir = await mkdtemp(join(tmpdir(), "modelship-bench-log-"));
type Kind = "off" | "on" | "control";
const KINDS: Kind[] = ["off", "on", "control"];
try {
  pinTo(process.pid, "0");
  const model = await writePenguinsModel(join(dir, "model"));
  const body = JSON.stringify(rawInferBody(model.rows.slice(10, 15), model.preprocessor));
  const common = [MAIN, "--model", model.dir, "--name", "penguins", "--port", "0"];
  const url = (u: string) => `${u}/v2/models/penguins/infer`;
  const results: Record<Kind, Load[]> = { off: [], on: [], control: [] };
  let records = 0;
  for (let g = 0; g < generations; g++) {
    const logDir = join(dir, `predictions-${g}`);
    const servers = new Map<Kind, Awaited<ReturnType<typeof startChild>>>();
    try {
      for (const kind of KINDS.map((_, i) => KINDS[(i + g) % KINDS.length]!)) {
        const logging = ["--prediction-log", logDir, "--log-sample-rate", sampleRate];
        const server = await startChild(
          kind === "on" ? [...common, ...logging] : common,
          {},
          "/v2/health/ready",
        );
        pinTo(server.child.pid, cores > 2 ? `1-${cores - 1}` : "1");
        servers.set(kind, server);
      }
      // Warm each (JIT, onnxruntime's first runs) before measuring.
      for (const server of servers.values())
        await load(url(server.url), body, { connections: 10, duration: 2 });
      for (let s = 0; s < slices; s++) {
        // The order rotates: each kind is measured first, second and third in turn.
        for (const kind of KINDS.map((_, i) => KINDS[(i + s) % KINDS.length]!)) {
          const server = servers.get(kind)!;
          const opts = {
            connections: 10,
            duration: sliceSeconds,
            overallRate: rate,
            pids: [server.child.pid],
          };
          results[kind].push(await load(url(server.url), body, opts));
        }
      }
    } finally {
      for (const server of servers.values()) await stopChild(server.child);
    }
    for (const f of await readdir(logDir).catch(() => [])) {
      records += (await readFile(join(logDir, f), "utf8")).split("\n").filter((l) => l !== "").length;
    }
    process.stdout.write(`generation ${g + 1}/${generations}: ${generationLine(results, g)}\n`);
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

/** Each kind's pooled p99 over one generation's slices. */
function generationLine(results: Record<Kind, Load[]>, g: number): string {
  return KINDS.map(
    (k) => `${k} p99 ${fmt(pooled(results[k].slice(g * slices, (g + 1) * slices), 0.99))} ms`,
  ).join(", ");
}

/** Quantile `q` of every latency of a kind's slices together. */
function pooled(runs: Load[], q: number): number {
  const all = new Float64Array(runs.reduce((n, l) => n + l.latencies.length, 0));
  let at = 0;
  for (const l of runs) {
    all.set(l.latencies, at);
    at += l.latencies.length;
  }
  return percentile(all.sort(), q);
}

function report(results: Record<Kind, Load[]>, records: number, alone: number[]): void {
  const q = (k: Kind, p: number) => pooled(results[k], p);
  const p99 = { off: q("off", 0.99), on: q("on", 0.99), control: q("control", 0.99) };
  const quantiles = (k: Kind) => `${fmt(q(k, 0.5))} / ${fmt(q(k, 0.99))} / ${fmt(q(k, 0.999))} ms`;
  const cpu = (k: Kind) =>
    (1e6 * results[k].reduce((s, l) => s + l.cpuSeconds, 0)) / results[k].reduce((n, l) => n + l.requests, 0);
  const answered = results.on.reduce((n, l) => n + l.requests, 0);
  const failed = KINDS.reduce((n, k) => n + results[k].reduce((m, l) => m + l.errors + l.non2xx, 0), 0);
  process.stdout.write(
    [
      "",
      `${rate} req/s, ${generations} generations of three fresh servers × ${slices} slices of ${sliceSeconds} s each in rotating order, 10 connections, 5 raw-feature rows per request, sample rate ${sampleRate}`,
      `placement: ${pin ? `load generator on core 0, servers on ${cores > 2 ? `cores 1-${cores - 1}` : "core 1"}` : "left to the kernel"}`,
      `pooled p50 / p99 / p999: without logging ${quantiles("off")}; with logging ${quantiles("on")}; A/A control ${quantiles("control")}`,
      `p99 ratio with / without logging (pooled): ${fmt(p99.on / p99.off, 3)}  (target ≤ 1.05)`,
      `p99 ratio control / without (pooled):      ${fmt(p99.control / p99.off, 3)}  (two identical servers: the noise floor of this run)`,
      `p99 ratio with logging / control:          ${fmt(p99.on / p99.control, 3)}`,
      `CPU per request: ${fmt(cpu("off"), 0)} µs without, ${fmt(cpu("on"), 0)} µs with (ratio ${fmt(cpu("on") / cpu("off"), 3)}), control ${fmt(cpu("control"), 0)} µs (ratio ${fmt(cpu("control") / cpu("off"), 3)})`,
      `records logged:             ${records} (requests answered while logging, warm-up excluded: ${answered}); failed requests: ${failed}`,
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
