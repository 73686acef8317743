/**
 * Prediction-log overhead: `npm run bench:log [-- --generations N --slices N --rate R --sample-rate F --no-pin]`.
 *
 * Three `modelship serve` processes serve the same penguins model (preprocess.json fitted on the
 * example's data, raw-feature requests of real rows): one with `--prediction-log` (every inference
 * logged unless --sample-rate says less) and two without, the second of which is the A/A control.
 * Each is loaded in turn at a steady 1,000 requests/s, open-loop and evenly spaced (pacedLoad), in
 * 1 s slices in a balanced order (ORDERS), many
 * slices per process, over several generations of three fresh processes (placement and JIT differ
 * from one process to the next). Where the machine has 2 cores or more (and `taskset` is there),
 * the bench's own process, the load generator, runs on core 0 and the servers on the others;
 * --no-pin leaves placement to the kernel.
 *
 * At a steady rate a small server's p99 is set by stalls of a millisecond or more (its own GC, the
 * host taking the core away), which come and go by the second: two identical servers differ by
 * tens of percent over a few seconds. So the latencies of every slice are pooled per kind, and
 * each ratio comes with a 95% bootstrap interval over the rounds (one slice of each kind, back to
 * back), and the A/A control's ratio shows what this run could resolve.
 *
 * It prints the pooled p50/p99/p999 of each kind, the p99 ratios with their intervals (target:
 * logging at most 1.05), CPU and GC pause time per request (from each server's own /metrics), how
 * many records the logs hold (so the logged runs really logged), and then, in this process, the log
 * alone: CPU per record offered and written (the server's real request and answer texts, in
 * batches of 100 as its 100 ms timer writes them at 1,000 req/s).
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
import { mulberry32 } from "../core/data/split.ts";
import { fmt, median, pacedLoad, percentile, startChild, stopChild, type Load } from "./load-helpers.ts";

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
/**
 * The order of the kinds in each round, all six in turn: every kind is measured first, second and
 * third equally often, and follows each other kind equally often. What one server leaves behind
 * (the kernel writing the logging server's pages back) then lands on the next slice of either
 * other kind alike; rotating one order (off, on, control) put the control after the logging
 * server twice as often as the server without logging.
 */
const ORDERS = [
  [0, 1, 2],
  [1, 2, 0],
  [2, 0, 1],
  [0, 2, 1],
  [2, 1, 0],
  [1, 0, 2],
];
try {
  pinTo(process.pid, "0");
  const model = await writePenguinsModel(join(dir, "model"));
  const body = JSON.stringify(rawInferBody(model.rows.slice(10, 15), model.preprocessor));
  const common = [MAIN, "--model", model.dir, "--name", "penguins", "--port", "0"];
  const url = (u: string) => `${u}/v2/models/penguins/infer`;
  const results: Record<Kind, Slice[]> = { off: [], on: [], control: [] };
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
      for (const server of servers.values()) await pacedLoad(url(server.url), body, { rate, duration: 2 });
      for (let s = 0; s < slices; s++) {
        for (const i of ORDERS[s % ORDERS.length]!) {
          const kind = KINDS[i]!;
          const server = servers.get(kind)!;
          const gcBefore = await gcSeconds(server.url);
          const opts = { rate, duration: sliceSeconds, pids: [server.child.pid] };
          const load = await pacedLoad(url(server.url), body, opts);
          results[kind].push({ ...load, gcSeconds: (await gcSeconds(server.url)) - gcBefore });
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

/** One slice's load, with the GC pause time the server reported meanwhile. */
type Slice = Load & { gcSeconds: number; lateMs: number };

/** Seconds the server has spent in GC pauses so far, from its /metrics (prom-client's default metrics). */
async function gcSeconds(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm)) sum += Number(m[1]);
  return sum;
}

/** A kind's pooled p99 over one generation's slices. */
function generationP99(results: Record<Kind, Slice[]>, k: Kind, g: number): number {
  return pooled(results[k].slice(g * slices, (g + 1) * slices), 0.99);
}

function generationLine(results: Record<Kind, Slice[]>, g: number): string {
  return KINDS.map((k) => `${k} p99 ${fmt(generationP99(results, k, g))} ms`).join(", ");
}

/** In how many generations kind `a`'s p99 was above kind `b`'s (about half, where they do not differ). */
function generationsAbove(results: Record<Kind, Slice[]>, a: Kind, b: Kind): string {
  let above = 0;
  for (let g = 0; g < generations; g++)
    if (generationP99(results, a, g) > generationP99(results, b, g)) above++;
  return `${above} of ${generations}`;
}

/** Quantile `q` of every latency of the slices together. */
function pooled(runs: readonly Load[], q: number): number {
  const all = new Float64Array(runs.reduce((n, l) => n + l.latencies.length, 0));
  let at = 0;
  for (const l of runs) {
    all.set(l.latencies, at);
    at += l.latencies.length;
  }
  return percentile(all.sort(), q);
}

type Ratio = { point: number; low: number; high: number };

/**
 * Pooled p99 ratios `a / b` with 95% percentile-bootstrap intervals. The draw is in two stages, as
 * the run was: generations (three processes) with replacement, then rounds (one slice of each kind,
 * back to back) within each drawn generation, so both a process that stays slow and a noisy
 * stretch of the run weigh on the interval.
 */
function p99Ratios(results: Record<Kind, Slice[]>, pairs: Array<[Kind, Kind]>, draws = 400): Ratio[] {
  // Seeded, so a run's intervals can be recomputed from its slices.
  const random = mulberry32(12);
  const pick = (n: number) => Math.floor(random() * n);
  const samples = pairs.map(() => [] as number[]);
  for (let d = 0; d < draws; d++) {
    const rounds: number[] = [];
    for (let g = 0; g < generations; g++) {
      const drawn = pick(generations);
      for (let s = 0; s < slices; s++) rounds.push(drawn * slices + pick(slices));
    }
    const p99 = (k: Kind) =>
      pooled(
        rounds.map((i) => results[k][i]!),
        0.99,
      );
    const drawn = { off: p99("off"), on: p99("on"), control: p99("control") };
    pairs.forEach(([a, b], i) => samples[i]!.push(drawn[a] / drawn[b]));
  }
  return pairs.map(([a, b], i) => {
    const sorted = Float64Array.from(samples[i]!).sort();
    return {
      point: pooled(results[a], 0.99) / pooled(results[b], 0.99),
      low: percentile(sorted, 0.025),
      high: percentile(sorted, 0.975),
    };
  });
}

function ratioText(r: Ratio): string {
  return `${fmt(r.point, 3)}  (95% interval ${fmt(r.low, 3)}–${fmt(r.high, 3)})`;
}

/**
 * Whether the run shows the target met, missed, or cannot tell: only when the A/A control's interval
 * holds 1 (two identical servers look alike) does the logging server's interval mean anything.
 */
function verdict(withLog: Ratio, control: Ratio): string {
  if (control.low > 1 || control.high < 1)
    return `not resolved: two identical servers differed too (A/A interval ${fmt(control.low, 3)}–${fmt(control.high, 3)} leaves out 1)`;
  if (withLog.high <= 1.05) return "met: the whole interval is at most 1.05";
  if (withLog.low > 1.05) return "missed: the whole interval is above 1.05";
  return `not resolved: the interval spans 1.05 (the A/A control's runs from ${fmt(control.low, 3)} to ${fmt(control.high, 3)})`;
}

function report(results: Record<Kind, Slice[]>, records: number, alone: number[]): void {
  const q = (k: Kind, p: number) => pooled(results[k], p);
  const quantiles = (k: Kind) => `${fmt(q(k, 0.5))} / ${fmt(q(k, 0.99))} / ${fmt(q(k, 0.999))} ms`;
  const requests = (k: Kind) => results[k].reduce((n, l) => n + l.requests, 0);
  const perRequest = (k: Kind, of: (l: Slice) => number) =>
    (1e6 * results[k].reduce((s, l) => s + of(l), 0)) / requests(k);
  const cpu = (k: Kind) => perRequest(k, (l) => l.cpuSeconds);
  const gc = (k: Kind) => perRequest(k, (l) => l.gcSeconds);
  const failed = KINDS.reduce((n, k) => n + results[k].reduce((m, l) => m + l.errors + l.non2xx, 0), 0);
  const [withLog, control, versus] = p99Ratios(results, [
    ["on", "off"],
    ["control", "off"],
    ["on", "control"],
  ]);
  process.stdout.write(
    [
      "",
      `${rate} req/s open-loop, evenly spaced, ${generations} generations of three fresh servers × ${slices} slices of ${sliceSeconds} s each in balanced order, 5 raw-feature rows per request, sample rate ${sampleRate}`,
      `placement: ${pin ? `load generator on core 0, servers on ${cores > 2 ? `cores 1-${cores - 1}` : "core 1"}` : "left to the kernel"}; requests left at most ${fmt(Math.max(...KINDS.flatMap((k) => results[k].map((l) => l.lateMs))), 1)} ms after they were due (p99 of the worst slice)`,
      `pooled p50 / p99 / p999: without logging ${quantiles("off")}; with logging ${quantiles("on")}; A/A control ${quantiles("control")}`,
      `p99 ratio with / without logging: ${ratioText(withLog!)}  (target ≤ 1.05)`,
      `p99 ratio control / without:      ${ratioText(control!)}  (two identical servers: what this run can resolve)`,
      `p99 ratio with logging / control: ${ratioText(versus!)}`,
      `target: ${verdict(withLog!, control!)}`,
      `generations with the higher p99: with logging over control ${generationsAbove(results, "on", "control")}, over without ${generationsAbove(results, "on", "off")}; control over without ${generationsAbove(results, "control", "off")}`,
      `CPU per request: ${fmt(cpu("off"), 0)} µs without, ${fmt(cpu("on"), 0)} µs with (ratio ${fmt(cpu("on") / cpu("off"), 3)}), control ${fmt(cpu("control"), 0)} µs (ratio ${fmt(cpu("control") / cpu("off"), 3)})`,
      `GC pauses per request: ${fmt(gc("off"), 1)} µs without, ${fmt(gc("on"), 1)} µs with, control ${fmt(gc("control"), 1)} µs`,
      `records logged: ${records} (requests answered while logging, warm-up excluded: ${requests("on")}); failed requests: ${failed}`,
      `the log alone, in-process: ${alone.map((a) => fmt(a, 1)).join(", ")} µs CPU per record (rounds); median ${fmt(median(alone), 1)} µs = ${fmt((100 * median(alone)) / cpu("off"), 1)}% of the server's CPU per request`,
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
