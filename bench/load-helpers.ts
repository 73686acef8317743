/** Shared pieces of the HTTP benchmarks: child servers, autocannon load with exact percentiles, process CPU, result tables. */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import autocannon from "autocannon";

export type Load = {
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** CPU time of the measured processes per answered request, in microseconds; steadier than req/s on a busy machine. */
  cpuUsPerReq: number;
  /** CPU seconds the measured processes used during the run. */
  cpuSeconds: number;
  /** Every response time in ms, sorted: runs can be pooled before taking percentiles. */
  latencies: Float64Array;
};

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
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

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
}

/** Starts `node ARGS` and waits for its `{"event":"listening","url":...}` line and, if asked, its readiness. */
export async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  readyPath?: string,
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
  for (let i = 0; readyPath !== undefined && i < 500; i++) {
    const res = await fetch(`${url}${readyPath}`).catch(() => undefined);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, url };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

/** What a load run counted, before the CPU its servers used is added. */
type Counted = Pick<Load, "reqPerSec" | "requests" | "errors" | "non2xx"> & {
  latencies: number[] | Float64Array;
};

/** Runs `send` and returns its counts as a Load, with the CPU the processes `pids` used meanwhile. */
async function measure<T extends Counted>(
  pids: Array<number | undefined>,
  send: () => Promise<T>,
): Promise<Load & Omit<T, keyof Counted>> {
  const cpuOf = async () => (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
  const cpuBefore = await cpuOf();
  const counted = await send();
  const cpu = (await cpuOf()) - cpuBefore;
  const sorted = Float64Array.from(counted.latencies).sort();
  return {
    ...counted,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    cpuUsPerReq: pids.length === 0 ? NaN : (cpu * 1e6) / Math.max(1, counted.requests),
    cpuSeconds: pids.length === 0 ? NaN : cpu,
    latencies: sorted,
  };
}

/**
 * POSTs `body` to `url` with autocannon over `connections` connections, each sending its next
 * request as soon as its last was answered (closed loop: throughput at that concurrency; for a
 * fixed rate use pacedLoad). Latencies are exact per-response times, not histogram buckets.
 */
export function load(
  url: string,
  body: string,
  opts: { connections: number; duration: number; pids?: Array<number | undefined> },
): Promise<Load> {
  return measure(opts.pids ?? [], async () => {
    const times: number[] = [];
    const instance = autocannon({
      url,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      connections: opts.connections,
      duration: opts.duration,
    }) as unknown as Promise<autocannon.Result> & NodeJS.EventEmitter;
    // The returned tracker is both a promise of the result and an emitter of per-response events.
    instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) =>
      times.push(responseTime),
    );
    const result = await instance;
    return {
      reqPerSec: result.requests.average,
      requests: result.requests.total,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
      latencies: times,
    };
  });
}

/**
 * Sends `rate` POSTs a second for `duration` seconds, evenly spaced and open-loop: request i is due
 * at start + i/rate and goes out at the first timer turn after that, whether or not earlier ones
 * were answered, over as many keep-alive connections as that needs. Nothing ever waits for a
 * connection, so a request leaves late only when this process is late (timers fire up to a
 * millisecond or so after their time; `lateMs` reports it), and its latency counts from when it
 * left. autocannon's `overallRate` is not this: each connection sends its quota for the second
 * back to back as soon as the second starts, so "1,000 req/s" is a burst of 1,000 at full speed
 * and then idle, and the tail it measures is queueing within the burst.
 */
export function pacedLoad(
  url: string,
  body: string,
  opts: { rate: number; duration: number; pids?: Array<number | undefined> },
): Promise<Load & { lateMs: number; errorCodes: Record<string, number> }> {
  return measure(opts.pids ?? [], async () => {
    const n = Math.round(opts.rate * opts.duration);
    const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
    const sent = await sendPaced(url, body, n, 1000 / opts.rate, agent);
    agent.destroy();
    return {
      reqPerSec: opts.rate,
      requests: n - sent.errors,
      errors: sent.errors,
      non2xx: sent.non2xx,
      latencies: sent.latencies,
      lateMs: percentile(sent.late.sort(), 0.99),
      errorCodes: sent.errorCodes,
    };
  });
}

/** The open-loop schedule of pacedLoad: `n` requests `intervalMs` apart, each timed from when it left. */
function sendPaced(url: string, body: string, n: number, intervalMs: number, agent: Agent) {
  const latencies = new Float64Array(n);
  const late = new Float64Array(n);
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
  const errorCodes: Record<string, number> = {};
  let errors = 0;
  let non2xx = 0;
  return new Promise<{
    latencies: Float64Array;
    late: Float64Array;
    errors: number;
    errorCodes: Record<string, number>;
    non2xx: number;
  }>((resolve) => {
    let next = 0;
    let done = 0;
    const start = performance.now();
    const answered = (i: number, left: number) => {
      latencies[i] = performance.now() - left;
      if (++done === n) resolve({ latencies, late, errors, errorCodes, non2xx });
    };
    const send = (i: number, now: number) => {
      late[i] = now - (start + i * intervalMs);
      const req = request(url, { method: "POST", agent, headers }, (res) => {
        if (res.statusCode !== 200) non2xx++;
        res.on("end", () => answered(i, now)).resume();
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        errors++;
        const code = err.code ?? err.message;
        errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        answered(i, now);
      });
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      for (; next < n && start + next * intervalMs <= now; next++) send(next, now);
      if (next < n) setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
    };
    tick();
  });
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

/** Runs `measure` `rounds` times in turn, so drift on a busy machine hits every scenario alike. */
export async function inRounds<T>(rounds: number, measure: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < rounds; i++) results.push(await measure());
  return results;
}

const COLUMNS = {
  "req/s": (l: Load) => fmt(l.reqPerSec, 0),
  "p50 ms": (l: Load) => fmt(l.p50),
  "p95 ms": (l: Load) => fmt(l.p95),
  "p99 ms": (l: Load) => fmt(l.p99),
  requests: (l: Load) => String(l.requests),
  failed: (l: Load) => String(l.errors + l.non2xx),
  "cpu us/req": (l: Load) => fmt(l.cpuUsPerReq, 1),
} satisfies Record<string, (l: Load) => string>;

/** A Markdown table of load results: a scenario column `nameWidth` wide, then the chosen columns. */
export function loadTable(nameWidth: number, columns: Array<keyof typeof COLUMNS>) {
  const cells = (values: string[]) =>
    `| ${values.map((v, i) => (i === 0 ? v.padEnd(nameWidth) : v.padStart(9))).join(" | ")} |`;
  return {
    cells,
    header: [
      cells(["scenario", ...columns]),
      `|${"-".repeat(nameWidth + 2)}${"|-----------".repeat(columns.length)}|`,
    ],
    row: (name: string, l: Load) => cells([name, ...columns.map((c) => COLUMNS[c](l))]),
  };
}
