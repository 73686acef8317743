/**
 * Prediction-log overhead: `npm run bench:log [-- --duration S --rounds N --rate R]`.
 *
 * In one run, two `modelship serve` processes serve the same penguins model (preprocess.json fitted
 * on the example's data, raw-feature requests of real rows): one with `--prediction-log` (sample
 * rate 1, every inference logged), one without. autocannon loads each in turn at a fixed 1,000
 * requests/s, for several alternating rounds so a busy machine slows both alike, and the bench
 * prints p50/p95/p99 of each, the ratio of the median p99s (target: logging adds at most 5%), and
 * how many records the log holds afterwards (so the logged run really logged). Then, in this
 * process, the log alone: CPU per record offered and written (the server's real request and answer
 * texts, in batches of 100 as its 100 ms timer writes them at 1,000 req/s), a number that stays
 * steady on a busy machine where p99 does not, set against the server's CPU per request.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { rawInferBody, writePenguinsModel } from "../test/runners/serve/penguins-model.ts";
import { createPredictionLog } from "../runners/serve/prediction-log.ts";
import { fmt, load, median, startChild, stopChild, type Load } from "./load-helpers.ts";

const MAIN = fileURLToPath(new URL("../runners/serve/main.ts", import.meta.url));

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    rate: { type: "string", default: "1000" },
  },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const rate = Number(values.rate);

const dir = await mkdtemp(join(tmpdir(), "modelship-bench-log-"));
try {
  const model = await writePenguinsModel(join(dir, "model"));
  const body = JSON.stringify(rawInferBody(model.rows.slice(10, 15), model.preprocessor));
  const logDir = join(dir, "predictions");
  const common = [MAIN, "--model", model.dir, "--name", "penguins", "--port", "0"];
  const off = await startChild(common, {}, "/v2/health/ready");
  const on = await startChild([...common, "--prediction-log", logDir], {}, "/v2/health/ready");
  try {
    const url = (u: string) => `${u}/v2/models/penguins/infer`;
    // Warm both (JIT, onnxruntime's first runs) before measuring.
    await load(url(off.url), body, { connections: 10, duration: 2 });
    await load(url(on.url), body, { connections: 10, duration: 2 });
    const results: { off: Load[]; on: Load[] } = { off: [], on: [] };
    for (let r = 0; r < rounds; r++) {
      for (const [name, server] of [
        ["off", off],
        ["on", on],
      ] as const) {
        const result = await load(url(server.url), body, {
          connections: 10,
          duration,
          overallRate: rate,
          pids: [server.child.pid],
        });
        results[name].push(result);
        process.stdout.write(
          `round ${r + 1} logging ${name.padEnd(3)}: ${fmt(result.reqPerSec, 0)} req/s, p50 ${fmt(result.p50)} ms, p95 ${fmt(result.p95)} ms, p99 ${fmt(result.p99)} ms, ${fmt(result.cpuUsPerReq, 0)} µs CPU/req, errors ${result.errors + result.non2xx}\n`,
        );
      }
    }
    await stopChild(on.child);
    let records = 0;
    for (const f of await readdir(logDir)) {
      records += (await readFile(join(logDir, f), "utf8")).split("\n").filter((l) => l !== "").length;
    }
    const answered = results.on.reduce((n, r) => n + r.requests, 0);
    const response = await (
      await fetch(url(off.url), { method: "POST", headers: { "content-type": "application/json" }, body })
    ).text();
    const alone = await logAlone(join(dir, "alone"), body, response);
    const p99 = { off: median(results.off.map((r) => r.p99)), on: median(results.on.map((r) => r.p99)) };
    const cpu = {
      off: median(results.off.map((r) => r.cpuUsPerReq)),
      on: median(results.on.map((r) => r.cpuUsPerReq)),
    };
    process.stdout.write(
      [
        "",
        `${rate} req/s, ${rounds} rounds of ${duration} s, 10 connections, 5 raw-feature rows per request`,
        `median p99 without logging: ${fmt(p99.off)} ms`,
        `median p99 with logging:    ${fmt(p99.on)} ms`,
        `p99 ratio (with / without): ${fmt(p99.on / p99.off, 3)}  (target ≤ 1.05)`,
        `CPU per request:            ${fmt(cpu.off, 0)} µs without, ${fmt(cpu.on, 0)} µs with (ratio ${fmt(cpu.on / cpu.off, 3)})`,
        `records logged:             ${records} (requests answered while logging, warm-up excluded: ${answered})`,
        `the log alone, in-process:  ${alone.map((a) => fmt(a, 1)).join(", ")} µs CPU per record (rounds); median ${fmt(median(alone), 1)} µs = ${fmt((100 * median(alone)) / cpu.off, 1)}% of the server's CPU per request`,
        "",
      ].join("\n"),
    );
  } finally {
    await stopChild(on.child);
    await stopChild(off.child);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
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
