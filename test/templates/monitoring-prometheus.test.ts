import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { renderDriftMetrics } from "../../adapters/monitoring/drift-metrics.ts";
import { readPredictionLog } from "../../adapters/monitoring/read-prediction-log.ts";
import { createReferenceProfile } from "../../core/monitoring/create-reference-profile.ts";
import { detectDrift } from "../../core/monitoring/detect-drift.ts";
import { PredictionRecordSchema } from "../../core/monitoring/prediction-record.ts";
import { GOOD_REQUEST, localDeployments } from "../adapters/deploy-local/deploy-fixtures.ts";
import { rawInferBody, writePenguinsModel, type PenguinsModel } from "../runners/serve/penguins-model.ts";
import { freePort } from "../support/free-port.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const DASHBOARD = join(ROOT, "templates", "monitoring", "grafana-dashboard.json");
const ALERTS = join(ROOT, "templates", "monitoring", "alerts.yml");
const SCRAPE_CONFIG = join(ROOT, "templates", "monitoring", "prometheus.yml");
const PROMETHEUS = "/usr/bin/prometheus";

type Panel = { title: string; targets: Array<{ expr: string; refId: string }> };
type PromResult = { metric: Record<string, string>; value: [number, string] };
type ScrapeJob = {
  job_name: string;
  static_configs?: Array<{ targets: string[] }>;
  file_sd_configs?: Array<{ files: string[] }>;
};
type ActiveTarget = { labels: Record<string, string>; health: string; scrapeUrl: string };

const fx = localDeployments("monitoring");
const children: ChildProcess[] = [];
const servers: Server[] = [];
let work: string;
let model: PenguinsModel;
let serveUrl: string;
let routerUrl: string;
let routerLogDir: string;
let promUrl: string;
let deployment: Awaited<ReturnType<typeof fx.start>>;

/** Starts a process and resolves with its first stdout line that parses as JSON with a `url`. */
function startProcess(args: string[], cwd: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function query(expr: string): Promise<PromResult[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: PromResult[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data!.result;
}

/** The dashboard's variables as Grafana fills them in: all models, a one-minute rate window. */
function asGrafanaSends(expr: string): string {
  return expr.replaceAll("$__rate_interval", "1m").replaceAll("$model", ".*");
}

async function activeTargets(): Promise<ActiveTarget[]> {
  const res = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
    data: { activeTargets: ActiveTarget[] };
  };
  return res.data.activeTargets;
}

/**
 * The shipped scrape config, pointed at this test's processes: the standalone server, the router's
 * targets files in its state folder, the drift gauges; scraped every second.
 */
async function scrapeConfig(o: { serve: string; drift: string; stateDir: string }): Promise<string> {
  const config = parse(await readFile(SCRAPE_CONFIG, "utf8")) as { scrape_configs: ScrapeJob[] };
  const jobs = config.scrape_configs.map((job) => {
    const out = { ...job };
    if (job.job_name === "modelship-serve")
      out.static_configs = [{ ...job.static_configs![0]!, targets: [o.serve] }];
    if (job.job_name === "modelship-drift") out.static_configs = [{ targets: [o.drift] }];
    if (job.file_sd_configs) {
      expect(job.file_sd_configs).toEqual([{ files: ["../.modelship/deploy/*.targets.json"] }]);
      out.file_sd_configs = [{ files: [join(o.stateDir, "*.targets.json")] }];
    }
    return out;
  });
  expect(jobs.map((j) => j.job_name)).toEqual(["modelship-serve", "modelship-router", "modelship-drift"]);
  return stringify({
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    rule_files: [ALERTS],
    scrape_configs: jobs,
  });
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modelship-prom-"));
  model = await writePenguinsModel(join(work, "penguins"));

  // 1. A real `modelship serve` with a prediction log.
  const serve = await startProcess(
    [
      join(ROOT, "cli", "main.ts"),
      "serve",
      "--model",
      model.dir,
      "--name",
      "penguins",
      "--model-version",
      "1.0.0",
      "--port",
      "0",
      "--prediction-log",
      join(work, "serve-log"),
    ],
    work,
  );
  serveUrl = serve.url;

  // 2. The local router with a deployed version (its slots log under the environment's state dir).
  deployment = await fx.start();
  const { d, env, stateDir } = deployment;
  expect((await d.deploy(fx.models.v1)).outcome).toBe("succeeded");
  routerUrl = d.url;
  routerLogDir = join(stateDir, env, "predictions");

  // 3. Traffic: client requests of real penguin rows, some smoke-marked ones, and some through the router.
  const infer = `${serveUrl}/v2/models/penguins/infer`;
  await waitFor("the server to be ready", async () => (await fetch(`${serveUrl}/v2/health/ready`)).ok);
  for (let i = 0; i < 40; i++) {
    const rows = model.rows.slice((i * 5) % 300, ((i * 5) % 300) + 5);
    expect(await post(infer, JSON.stringify(rawInferBody(rows, model.preprocessor)))).toBe(200);
  }
  for (let i = 0; i < 5; i++) {
    const body = JSON.stringify(rawInferBody(model.rows.slice(i, i + 1), model.preprocessor));
    expect(await post(infer, body, { "x-modelship-traffic": "smoke" })).toBe(200);
  }
  for (let i = 0; i < 20; i++)
    expect(await post(`${routerUrl}/v2/models/iris/infer`, GOOD_REQUEST)).toBe(200);

  // 4. Drift gauges from the server's own prediction log against the example data's reference profile,
  // served over HTTP as node_exporter's textfile collector would serve the `--metrics-file` output.
  await waitFor("the prediction log", async () => {
    const log = await readPredictionLog({ dir: join(work, "serve-log"), model: "penguins" });
    return log.rows.length >= 200;
  });
  const current = await readPredictionLog({ dir: join(work, "serve-log"), model: "penguins" });
  const profile = createReferenceProfile({ model: "penguins", rows: model.rows, features: model.features });
  const report = detectDrift({ profile, rows: current.rows });
  expect(report.status).not.toBe("not-enough-data");
  const driftText = await renderDriftMetrics({
    report,
    model: "penguins",
    environment: "production",
    now: new Date(),
  });
  const driftServer = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(driftText);
  });
  servers.push(driftServer);
  await new Promise<void>((r) => driftServer.listen(0, "127.0.0.1", r));
  const driftPort = (driftServer.address() as { port: number }).port;

  // 5. A real Prometheus with the shipped scrape config and alert rules: the router and its slot
  // are found through the targets file the router writes.
  const port = await freePort();
  await writeFile(
    join(work, "prometheus.yml"),
    await scrapeConfig({ serve: new URL(serveUrl).host, drift: `127.0.0.1:${driftPort}`, stateDir }),
  );
  await mkdir(join(work, "tsdb"));
  const prom = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(work, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(work, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
  children.push(prom);
  promUrl = `http://127.0.0.1:${port}`;
  await waitFor("Prometheus to be ready", async () => (await fetch(`${promUrl}/-/ready`)).ok);
  await waitFor(
    "four healthy targets: the server, the router, its slot and the drift gauges",
    async () => (await activeTargets()).filter((t) => t.health === "up").length === 4,
    30_000,
  );
  // More traffic while Prometheus scrapes, so every rate() has two samples that differ.
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 10; i++) {
      const rows = model.rows.slice(i * 3, i * 3 + 3);
      await post(infer, JSON.stringify(rawInferBody(rows, model.preprocessor)));
      await post(`${routerUrl}/v2/models/iris/infer`, GOOD_REQUEST);
    }
    await new Promise((r) => setTimeout(r, 1_100));
  }
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : undefined)),
  );
  for (const s of servers) s.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("templates/monitoring with a real Prometheus scraping modelship serve, the router and drift gauges", () => {
  it("answers every dashboard panel's query with data", async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, "utf8")) as { panels: Panel[] };
    const empty: string[] = [];
    let checked = 0;
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const result = await query(asGrafanaSends(target.expr));
        const values = result.map((r) => Number(r.value[1]));
        if (!values.some((v) => Number.isFinite(v)))
          empty.push(`${panel.title} [${target.refId}]: ${target.expr}`);
        checked++;
      }
    }
    expect(empty).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(dashboard.panels.length);
  });

  it("keeps smoke requests apart from client traffic", async () => {
    const byTraffic = await query(
      `sum by (traffic) (modelship_requests_total{instance="${new URL(serveUrl).host}",route="infer",code="200"})`,
    );
    const counts = Object.fromEntries(byTraffic.map((r) => [r.metric.traffic, Number(r.value[1])]));
    expect(counts.smoke).toBe(5);
    expect(counts.client).toBe(80);
  });

  it("loads the shipped alert rules into Prometheus", async () => {
    const res = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
    };
    const rules = res.data.groups.flatMap((g) => g.rules);
    expect(rules).toHaveLength(6);
    for (const r of rules) expect(r.health, r.name).toBe("ok");
  });

  it("has the router's slots log their predictions under the environment's state directory", async () => {
    const colours = await readdir(routerLogDir);
    expect(colours.length).toBeGreaterThan(0);
    const lines: unknown[] = [];
    for (const c of colours) {
      for (const f of await readdir(join(routerLogDir, c))) {
        const text = await readFile(join(routerLogDir, c, f), "utf8");
        lines.push(
          ...text
            .trim()
            .split("\n")
            .map((l) => PredictionRecordSchema.parse(JSON.parse(l))),
        );
      }
    }
    const records = lines as Array<{ traffic: string; version: string }>;
    expect(records.filter((r) => r.traffic === "client").length).toBeGreaterThanOrEqual(20);
    expect(records.some((r) => r.traffic === "smoke")).toBe(true);
    expect(new Set(records.map((r) => r.version))).toEqual(new Set(["1.0.0"]));
  });

  // Runs last: it deploys a new version and stops the router.
  it("finds the router and its slots through the targets file, and follows slots as they start and stop", async () => {
    const { d, env, stateDir } = deployment;
    const slotTargets = async () =>
      (await activeTargets()).filter(
        (t) => t.labels.job === "modelship-serve" && t.labels.environment === env,
      );
    const first = (await d.status()).active!.colour;
    const router = (await activeTargets()).filter((t) => t.labels.job === "modelship-router");
    expect(router.map((t) => [t.labels.environment, t.health, t.scrapeUrl])).toEqual([
      [env, "up", `${routerUrl}/metrics`],
    ]);
    expect((await slotTargets()).map((t) => [t.labels.slot, t.health])).toEqual([[first, "up"]]);
    expect(Object.keys(router[0]!.labels).filter((l) => l.startsWith("__"))).toEqual([]);
    const ready = await query(`modelship_model_ready{job="modelship-serve",environment="${env}"}`);
    expect(ready.map((r) => [r.metric.slot, r.metric.version, r.value[1]])).toEqual([[first, "1.0.0", "1"]]);
    const rollouts = await query(`modelship_rollouts_total{job="modelship-router",environment="${env}"}`);
    expect(rollouts.find((r) => r.metric.outcome === "succeeded")?.value[1]).toBe("1");

    // A new version starts in the other slot and the old one stops after the scale-down delay.
    expect(await d.deploy(fx.models.v2, { waitForScaleDown: true })).toMatchObject({ outcome: "succeeded" });
    const second = first === "blue" ? "green" : "blue";
    const targetsFile = join(stateDir, `${env}.targets.json`);
    const listed = async () =>
      (JSON.parse(await readFile(targetsFile, "utf8")) as Array<{ labels: Record<string, string> }>).map(
        (g) => g.labels.slot ?? "router",
      );
    // The router rewrites the file right after each step, so it may trail the deploy's answer a moment.
    await waitFor(
      "the targets file to list the new slot only",
      async () => (await listed()).join() === ["router", second].join(),
    );
    await waitFor("Prometheus to scrape the new slot only", async () => {
      const t = await slotTargets();
      return t.length === 1 && t[0]!.labels.slot === second && t[0]!.health === "up";
    });
    await waitFor("the new version's metrics", async () => {
      const r = await query(
        `modelship_model_ready{job="modelship-serve",environment="${env}",version="2.0.0"}`,
      );
      return r.length === 1 && r[0]!.metric.slot === second;
    });

    // Once the router stops, its targets file is empty and Prometheus drops the environment.
    await d.close();
    expect(await listed()).toEqual([]);
    await waitFor("Prometheus to drop the stopped router and slot", async () =>
      (await activeTargets()).every((t) => t.labels.environment !== env),
    );
  }, 60_000);
});
