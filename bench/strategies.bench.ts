/**
 * Traffic strategy benchmark: `node bench/strategies.bench.ts [--duration S] [--rate R]`.
 *
 * The local router (`runners/router/router-main.ts`, its own process) serves the fixture
 * classifier while this process sends a steady `--rate` (default 1,000) requests/s, evenly spaced
 * and open-loop (pacedLoad: each request goes out when it is due, over as many keep-alive
 * connections as that needs, whether or not earlier ones were answered). Two runs of the same length:
 *   - baseline: one version live, nothing moves;
 *   - changes: a canary (10%, 50%, then all, 1 s a step), an A/B split at 30% that is aborted, a
 *     shadow that is promoted, and a rollback — every move driven through the admin surface as
 *     `modelship promote/abort` does.
 * It prints failed requests (errors + non-2xx) and p99 of both runs, and the ratio of answered
 * requests (changes / baseline). Target: 0 failed requests during the changes.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ChildProcess } from "node:child_process";
import { connectLocalDeployment } from "../adapters/deploy-local/connect-local-deployment.ts";
import type { RemoteDeployment } from "../adapters/deploy-local/connect-local-deployment.ts";
import { classifierModel } from "../test/fixtures/onnx/make-models.ts";
import { fmt, load, loadTable, pacedLoad, startChild, stopChild, type Load } from "./load-helpers.ts";

const ROUTER = fileURLToPath(new URL("../runners/router/router-main.ts", import.meta.url));
const BODY = JSON.stringify({
  inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
});
const CONFIG = `model: { name: iris }
deploy:
  health: { readyTimeoutSeconds: 120, intervalMs: 50 }
  analysis: { smokeRequests: 5, maxLatencyP95Ms: 2000, postSwitchSeconds: 1 }
  scaleDownDelaySeconds: 0.5
`;

async function models(dir: string) {
  const rows = JSON.stringify({ rows: [{ input: [5.1, 3.5, 1.4, 0.2] }, { input: [6.3, 3.3, 6.0, 2.5] }] });
  const out: Record<string, { name: string; version: string; modelDir: string }> = {};
  for (const v of ["1.0.0", "2.0.0", "3.0.0"]) {
    const modelDir = join(dir, v);
    await mkdir(modelDir, { recursive: true });
    await writeFile(join(modelDir, "model.onnx"), classifierModel());
    await writeFile(join(modelDir, "reference-rows.json"), rows);
    out[v] = { name: "iris", version: v, modelDir };
  }
  return out as Record<"1.0.0" | "2.0.0" | "3.0.0", { name: string; version: string; modelDir: string }>;
}

/** Every strategy change in a row; returns what each ended with. */
async function changes(d: RemoteDeployment, m: Awaited<ReturnType<typeof models>>): Promise<string[]> {
  const seen: string[] = [];
  const note = (what: string, r: { outcome: string; reason: string }) =>
    seen.push(`${what}: ${r.outcome} (${r.reason})`);
  const canary = { strategy: "canary" as const, steps: [10, 50, 100], pauseMs: 1_000 };
  note("canary 10/50/100", await d.deploy({ ...m["2.0.0"], plan: canary }, { waitForScaleDown: true }));
  note("A/B 30%", await d.deploy({ ...m["3.0.0"], plan: { strategy: "ab", weight: 30 } }));
  note("abort", await d.abort());
  note("shadow 100%", await d.deploy({ ...m["3.0.0"], plan: { strategy: "shadow", percent: 100 } }));
  note("promote", await d.promote({ waitForScaleDown: true }));
  note("rollback", await d.rollback({ waitForScaleDown: true }));
  return seen;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { duration: { type: "string", default: "40" }, rate: { type: "string", default: "1000" } },
  });
  const duration = Number(values.duration);
  const rate = Number(values.rate);
  const tmp = await mkdtemp(join(tmpdir(), "modelship-strategies-bench-"));
  let child: ChildProcess | null = null;
  try {
    const m = await models(join(tmp, "models"));
    await writeFile(join(tmp, "modelship.yml"), CONFIG);
    const stateDir = join(tmp, "state");
    const router = await startChild([
      ROUTER,
      "--config",
      join(tmp, "modelship.yml"),
      "--env",
      "bench",
      "--port",
      "0",
      "--state-dir",
      stateDir,
    ]);
    child = router.child;
    const d = await connectLocalDeployment(stateDir, "bench");
    await d.deploy(m["1.0.0"], { waitForScaleDown: true });
    const url = `${router.url}/v2/models/iris/infer`;
    const steady = { rate, duration, pids: [child.pid] };
    await load(url, BODY, { connections: 20, duration: 2 });
    const baseline = await pacedLoad(url, BODY, steady);
    const started = Date.now();
    const running = pacedLoad(url, BODY, steady);
    const steps = await changes(d, m);
    const tookS = (Date.now() - started) / 1000;
    const moved = await running;
    report({ baseline, moved, steps, tookS, duration, rate });
  } finally {
    if (child) await stopChild(child).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

type Paced = Awaited<ReturnType<typeof pacedLoad>>;

function report(o: {
  baseline: Paced;
  moved: Paced;
  steps: string[];
  tookS: number;
  duration: number;
  rate: number;
}) {
  const { header, row } = loadTable(50, ["req/s", "p50 ms", "p99 ms", "requests", "failed"]);
  const failed = (l: Load) => l.errors + l.non2xx;
  const codes = (l: Paced) => {
    const seen = Object.entries(l.errorCodes).map(([code, n]) => `${code} ${n}`);
    return seen.length === 0 ? "" : `: ${seen.join(", ")}`;
  };
  const lines = [
    "",
    ...header,
    row("baseline, nothing moves", o.baseline),
    row("canary, A/B + abort, shadow + promote, rollback", o.moved),
    "",
    ...o.steps.map((s) => `  ${s}`),
    "",
    `failed requests during the strategy changes: ${failed(o.moved)} of ${o.moved.requests}${codes(o.moved)} (baseline ${failed(o.baseline)} of ${o.baseline.requests}${codes(o.baseline)}; target 0)`,
    `answered requests, changes / baseline: ${fmt(o.moved.requests / Math.max(1, o.baseline.requests))}`,
    o.tookS > o.duration
      ? `warning: the changes took ${fmt(o.tookS, 1)} s, longer than the ${o.duration} s of load: raise --duration`
      : `the changes took ${fmt(o.tookS, 1)} s of the ${o.duration} s under load`,
    `${o.rate} req/s offered at a steady rate, open-loop (requests left up to ${fmt(Math.max(o.baseline.lateMs, o.moved.lateMs), 1)} ms after they were due, p99); ${availableParallelism()} cores shared by load generator, router and slots; node ${process.version}`,
    "",
  ];
  process.stdout.write(lines.join("\n"));
}

await main();
