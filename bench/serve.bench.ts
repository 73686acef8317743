/**
 * Serving benchmark: `npx node bench/serve.bench.ts [MODEL_PATH] [--duration S] [--rounds N] [--fixture]`.
 *
 * In one run, on one model (the penguins example model, trained first, unless a model file or
 * trained model directory is given; `--fixture` uses the small fixture classifier), against servers in child processes while autocannon loads them from this process:
 *   (a) `modelship serve` at 50 connections with a V2 JSON infer body: req/s, p50/p95/p99;
 *   (b) a bare node:http server answering the same bytes (the HTTP ceiling on this machine);
 *   (a) and (b) alternate for several rounds and the ratio is the median of the rounds' ratios;
 *   (c) a tight session.run loop without HTTP (runs/s);
 *   (d) `modelship serve` at a steady 1,000 requests/s, open-loop and evenly spaced (pacedLoad): p50/p95/p99;
 *   (e) the bare server at the same steady 1,000 requests/s, the latency floor of this machine and load generator.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ort from "onnxruntime-node";
import { resolveModelFile } from "../runners/serve/resolve-model-file.ts";
import { writeFixtureModels } from "../test/fixtures/onnx/make-models.ts";
import { loadConfig } from "../adapters/config/load-config.ts";
import { fmt, inRounds, load, loadTable, median, pacedLoad, startChild, stopChild } from "./load-helpers.ts";

const MAIN = fileURLToPath(new URL("../runners/serve/main.ts", import.meta.url));

const BARE_SERVER = `
import { createServer } from "node:http";
const body = Buffer.from(process.env.BENCH_BODY, "utf8");
const headers = { "content-type": "application/json; charset=utf-8", "content-length": body.length };
const server = createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => { res.writeHead(200, headers); res.end(body); });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ event: "listening", url: "http://127.0.0.1:" + server.address().port, port: server.address().port }) + "\\n");
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

type Metadata = {
  name: string;
  inputs: Array<{ name: string; datatype: string; shape: number[]; parameters?: { categories?: string[] } }>;
};

/** A one-row request for any model: zeros for numbers, false for BOOL, "a" for BYTES; -1 dims become 1. */
function requestFor(meta: Metadata): string {
  const inputs = meta.inputs.map((i) => {
    const shape = i.shape.map((d) => (d < 0 ? 1 : d));
    const n = shape.reduce((a, b) => a * b, 1);
    // A category the model knows (from its metadata) makes the request a realistic one.
    const category = i.parameters?.categories?.[0] ?? "a";
    const fill =
      i.datatype === "BYTES"
        ? category
        : i.datatype === "BOOL"
          ? false
          : i.datatype.startsWith("FP")
            ? 0.5
            : 1;
    return { name: i.name, shape, datatype: i.datatype, data: new Array<unknown>(n).fill(fill) };
  });
  return JSON.stringify({ inputs });
}

async function sessionLoop(modelFile: string, bodyText: string, seconds: number): Promise<number> {
  const session = await ort.InferenceSession.create(modelFile, { graphOptimizationLevel: "all" });
  try {
    const body = JSON.parse(bodyText) as {
      inputs: Array<{ name: string; shape: number[]; datatype: string; data: unknown[] }>;
    };
    // The bench feeds tensors straight to the model; raw-feature inputs (preprocess.json) are not measured here.
    const feeds: Record<string, ort.Tensor> = {};
    for (const meta of session.inputMetadata) {
      if (!meta.isTensor) return NaN;
      const shape = meta.shape.map((d) => (typeof d === "number" ? d : 1));
      const n = shape.reduce((a, b) => a * b, 1);
      const given = body.inputs.find((i) => i.name === meta.name);
      if (meta.type === "float32")
        feeds[meta.name] = new ort.Tensor(
          "float32",
          Float32Array.from((given?.data as number[]) ?? new Array(n).fill(0.5)),
          shape,
        );
      else return NaN;
    }
    const until = performance.now() + seconds * 1000;
    let runs = 0;
    const started = performance.now();
    while (performance.now() < until) {
      const out = await session.run(feeds);
      for (const t of Object.values(out)) t.dispose();
      runs++;
    }
    return runs / ((performance.now() - started) / 1000);
  } finally {
    await session.release();
  }
}

/** The example model the README serves: penguins, trained here with the example's own config. */
async function trainExample(runsDir: string): Promise<string> {
  const config = await loadConfig(
    fileURLToPath(new URL("../examples/penguins/modelship.yml", import.meta.url)),
    {
      required: true,
    },
  );
  const { trainRun } = await import("../runners/train/train-run.ts");
  const repoDir = fileURLToPath(new URL("..", import.meta.url));
  const { runDir } = await trainRun({ config, repoDir, runsDir, runId: "bench", progress: "silent" });
  return runDir;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      duration: { type: "string", default: "5" },
      rounds: { type: "string", default: "3" },
      fixture: { type: "boolean", default: false },
    },
  });
  const duration = Number(values.duration);
  const tmp = await mkdtemp(join(tmpdir(), "modelship-bench-"));
  const children: ChildProcess[] = [];
  try {
    const modelPath =
      positionals[0] ??
      (values.fixture
        ? (await writeFixtureModels(join(tmp, "models"))).classifier
        : await trainExample(join(tmp, "runs")));
    const modelFile = await resolveModelFile(modelPath);

    const serve = await startChild(
      [MAIN, "--model", modelPath, "--name", "bench", "--port", "0"],
      {},
      "/v2/health/ready",
    );
    children.push(serve.child);
    const meta = (await (await fetch(`${serve.url}/v2/models/bench`)).json()) as Metadata;
    const body = requestFor(meta);
    const inferUrl = `${serve.url}/v2/models/bench/infer`;
    const sample = await fetch(inferUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const answer = await sample.text();
    if (sample.status !== 200) throw new Error(`sample request failed (${sample.status}): ${answer}`);
    process.stderr.write(`model ${modelFile}\nrequest  ${body}\nresponse ${answer}\n`);

    const bareScript = join(tmp, "bare-server.mjs");
    await writeFile(bareScript, BARE_SERVER);
    const bare = await startChild([bareScript], { BENCH_BODY: answer });
    children.push(bare.child);

    // Warm both servers (JIT, connection setup) before measuring.
    await load(inferUrl, body, { connections: 50, duration: 2 });
    await load(bare.url, body, { connections: 50, duration: 2 });

    // Serve and bare alternate, round after round, so drift on a busy machine hits both alike.
    const rounds = await inRounds(Number(values.rounds), async () => ({
      a: await load(inferUrl, body, { connections: 50, duration, pids: [serve.child.pid] }),
      b: await load(bare.url, body, { connections: 50, duration, pids: [bare.child.pid] }),
    }));
    const e = await pacedLoad(bare.url, body, { rate: 1000, duration, pids: [bare.child.pid] });
    await stopChild(bare.child);
    const d = await pacedLoad(inferUrl, body, { rate: 1000, duration, pids: [serve.child.pid] });
    await stopChild(serve.child);
    const c = await sessionLoop(modelFile, body, Math.min(duration, 5));

    const { cells, header, row } = loadTable(34, [
      "req/s",
      "p50 ms",
      "p95 ms",
      "p99 ms",
      "requests",
      "failed",
      "cpu us/req",
    ]);
    const lines = [
      "",
      ...header,
      ...rounds.flatMap((r, i) => [
        row(`(a) modelship serve, 50 conns #${i + 1}`, r.a),
        row(`(b) bare node:http, 50 conns #${i + 1}`, r.b),
      ]),
      row("(d) modelship serve, 1,000 req/s", d),
      row("(e) bare node:http, 1,000 req/s", e),
      cells(["(c) session.run loop (runs/s)", fmt(c, 0), "", "", "", "", "", ""]),
      "",
      `serve / bare-HTTP req/s (median of ${rounds.length} rounds): ${fmt(median(rounds.map((r) => r.a.reqPerSec / r.b.reqPerSec)))} (target >= 0.60; rounds ${rounds.map((r) => fmt(r.a.reqPerSec / r.b.reqPerSec)).join(", ")}); bare / serve CPU per request: ${fmt(median(rounds.map((r) => r.b.cpuUsPerReq / r.a.cpuUsPerReq)))}`,
      `p99 at a steady 1,000 req/s: ${fmt(d.p99)} ms (target < 5 ms); bare HTTP: ${fmt(e.p99)} ms; requests left at most ${fmt(Math.max(d.lateMs, e.lateMs), 1)} ms late (p99)`,
      `duration ${duration} s per scenario, node ${process.version}, model ${modelFile}`,
      "",
    ];
    process.stdout.write(lines.join("\n"));
  } finally {
    for (const child of children) await stopChild(child).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
