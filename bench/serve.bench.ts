/**
 * Serving benchmark: `npx node bench/serve.bench.ts [MODEL_PATH] [--duration S] [--fixture]`.
 *
 * In one run, on one model (the penguins example model, trained first, unless a model file or
 * trained model directory is given; `--fixture` uses the small fixture classifier), against servers in child processes while autocannon loads them from this process:
 *   (a) `modelship serve` at 50 connections with a V2 JSON infer body: req/s, p50/p95/p99;
 *   (b) a bare node:http server answering the same bytes (the HTTP ceiling on this machine);
 *   (c) a tight session.run loop without HTTP (runs/s);
 *   (d) `modelship serve` at a fixed 1,000 requests/s: p50/p95/p99;
 *   (e) the bare server at 1,000 requests/s, the latency floor of this machine and load generator.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import ort from "onnxruntime-node";
import { resolveModelFile } from "../runners/serve/resolve-model-file.ts";
import { writeFixtureModels } from "../test/fixtures/onnx/make-models.ts";
import { loadConfig } from "../adapters/config/load-config.ts";

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

type Load = {
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** Server CPU time per answered request, in microseconds; steadier than req/s on a busy machine. */
  cpuUsPerReq: number;
};

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the file, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
type Metadata = {
  name: string;
  inputs: Array<{ name: string; datatype: string; shape: number[]; parameters?: { categories?: string[] } }>;
};

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  while (!out.includes("\n")) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const { url } = JSON.parse(out.split("\n")[0]!) as { url: string };
  for (let i = 0; i < 500; i++) {
    const res = await fetch(`${url}/v2/health/ready`).catch(() => undefined);
    if (res?.status === 200 || (res !== undefined && args.length === 1)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, url };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

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

async function load(
  url: string,
  body: string,
  opts: { connections: number; duration: number; overallRate?: number; pid?: number | undefined },
): Promise<Load> {
  const times: number[] = [];
  const cpuBefore = await cpuSeconds(opts.pid);
  // The returned tracker is both a promise of the result and an emitter of per-response events.
  const instance = autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    connections: opts.connections,
    duration: opts.duration,
    ...(opts.overallRate === undefined ? {} : { overallRate: opts.overallRate }),
  }) as unknown as Promise<autocannon.Result> & NodeJS.EventEmitter;
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) =>
    times.push(responseTime),
  );
  const result = await instance;
  const cpu = (await cpuSeconds(opts.pid)) - cpuBefore;
  const sorted = Float64Array.from(times).sort();
  return {
    reqPerSec: result.requests.average,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuUsPerReq: (cpu * 1e6) / Math.max(1, result.requests.total),
  };
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

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { duration: { type: "string", default: "8" }, fixture: { type: "boolean", default: false } },
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

    const serve = await startChild([MAIN, "--model", modelPath, "--name", "bench", "--port", "0"]);
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

    const a = await load(inferUrl, body, { connections: 50, duration, pid: serve.child.pid });
    const b = await load(bare.url, body, { connections: 50, duration, pid: bare.child.pid });
    const e = await load(bare.url, body, {
      connections: 10,
      duration,
      overallRate: 1000,
      pid: bare.child.pid,
    });
    await stopChild(bare.child);
    const d = await load(inferUrl, body, {
      connections: 10,
      duration,
      overallRate: 1000,
      pid: serve.child.pid,
    });
    await stopChild(serve.child);
    const c = await sessionLoop(modelFile, body, Math.min(duration, 5));

    const cells = (values: string[]) =>
      `| ${values.map((v, i) => (i === 0 ? v.padEnd(34) : v.padStart(9))).join(" | ")} |`;
    const row = (name: string, l: Load) =>
      cells([
        name,
        fmt(l.reqPerSec, 0),
        fmt(l.p50),
        fmt(l.p95),
        fmt(l.p99),
        String(l.requests),
        String(l.errors + l.non2xx),
        fmt(l.cpuUsPerReq, 1),
      ]);
    const lines = [
      "",
      cells(["scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests", "failed", "cpu us/req"]),
      `|${"-".repeat(36)}${"|-----------".repeat(7)}|`,
      row("(a) modelship serve, 50 conns", a),
      row("(b) bare node:http, 50 conns", b),
      row("(d) modelship serve, 1,000 req/s", d),
      row("(e) bare node:http, 1,000 req/s", e),
      cells(["(c) session.run loop (runs/s)", fmt(c, 0), "", "", "", "", "", ""]),
      "",
      `serve / bare-HTTP req/s: ${fmt(a.reqPerSec / b.reqPerSec)} (target >= 0.60); bare / serve CPU per request: ${fmt(b.cpuUsPerReq / a.cpuUsPerReq)}`,
      `p99 at 1,000 req/s:      ${fmt(d.p99)} ms (target < 5 ms), achieved ${fmt(d.reqPerSec, 0)} req/s; bare HTTP: ${fmt(e.p99)} ms`,
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
