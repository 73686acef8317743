import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryQueries } from "../../../core/kubernetes/build-canary-analysis.ts";
import { startInferenceServer, type InferenceServer } from "../../../runners/serve/server.ts";
import { nanClassifierModel } from "../../fixtures/onnx/make-models.ts";
import { makeFixtures, post, type Fixtures } from "../../runners/serve/serve-helpers.ts";
import { freePort } from "../../support/free-port.ts";

/**
 * The canary analysis' PromQL, asked of a real Prometheus that scrapes a real inference server:
 * the queries must select the new version's own answers and read 0 errors from a healthy model,
 * every answer an error from a broken one, and a p95 in seconds.
 */
let fx: Fixtures;
let server: InferenceServer;
let prometheus: ChildProcess;
let promUrl: string;
let dir: string;

async function query(promql: string): Promise<number[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
  expect(body.status).toBe("success");
  return body.data.result.map((r) => Number(r.value[1]));
}

const args = (q: string, model: string, version: string) =>
  q.replaceAll("{{args.model}}", model).replaceAll("{{args.version}}", version);

async function scrapes(count: number): Promise<void> {
  const up = async () => (await query('count_over_time(up{job="serve"}[1m])'))[0] ?? 0;
  const start = await up();
  const deadline = Date.now() + 20_000;
  while ((await up()) < start + count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

beforeAll(async () => {
  fx = await makeFixtures();
  dir = await mkdtemp(join(tmpdir(), "modelship-prom-"));
  const nan = join(dir, "nan.onnx");
  await writeFile(nan, nanClassifierModel());
  server = await startInferenceServer({
    models: [
      { name: "iris", version: "1.1.0", modelPath: fx.files.classifier },
      { name: "broken", version: "1.1.0", modelPath: nan },
    ],
    port: 0,
  });
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  await writeFile(
    join(dir, "prometheus.yml"),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: serve\n    static_configs: [{ targets: ["${new URL(server.url).host}"] }]\n`,
  );
  prometheus = spawn(
    "/usr/bin/prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${promUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Traffic between scrapes, so rate() has samples on both sides of it.
  await scrapes(1);
  for (let round = 0; round < 2; round++) {
    const body = { inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] };
    for (let i = 0; i < 10; i++) {
      await post(`${server.url}/v2/models/iris/infer`, body);
      await post(`${server.url}/v2/models/broken/infer`, body);
    }
    await scrapes(2);
  }
}, 60_000);

afterAll(async () => {
  prometheus?.kill("SIGTERM");
  await new Promise((r) => (prometheus?.exitCode !== null ? r(null) : prometheus.once("exit", r)));
  await server?.close();
  await fx?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe("the canary analysis' Prometheus queries", () => {
  const q = canaryQueries();

  it.each([
    ["a healthy version", "iris", "1.1.0", [0]],
    ["a version whose every answer is a 500", "broken", "1.1.0", [1]],
    ["a version with no traffic (no sample, which the analysis passes)", "iris", "9.9.9", []],
  ])("error rate of %s", async (_name, model, version, want) => {
    expect(await query(args(q.errorRate, model, version))).toEqual(want);
  });

  it("reads the p95 latency in seconds, within the server's histogram", async () => {
    const [p95] = await query(args(q.latencyP95, "iris", "1.1.0"));
    expect(p95).toBeGreaterThan(0);
    expect(p95).toBeLessThanOrEqual(0.25);
    expect(await query(args(q.latencyP95, "iris", "9.9.9"))).toEqual([]);
  });

  it("reads the p99 latency in seconds, at least the p95", async () => {
    const [p95] = await query(args(q.latencyP95, "iris", "1.1.0"));
    const [p99] = await query(args(q.latencyP99, "iris", "1.1.0"));
    expect(p99).toBeGreaterThanOrEqual(p95!);
    expect(p99).toBeLessThanOrEqual(0.25);
    expect(await query(args(q.latencyP99, "iris", "9.9.9"))).toEqual([]);
  });
});
