import type { ChildProcess } from "node:child_process";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CLASSIFIER_WEIGHTS, linearClassifierModel } from "../fixtures/onnx/make-models.ts";
import { runCli, serveCli } from "./run-cli.ts";
import { makeConfigRepo } from "./config-repo.ts";
import { removeTestDir, stopCli } from "./stop-cli.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/runs/", import.meta.url));
// A long scale-down delay: `deploy` returns while the old colour is still warm.
const CONFIG = `model: { name: iris, task: classification, target: species }
metrics: { primary: accuracy }
deploy:
  health: { readyTimeoutSeconds: 20, intervalMs: 50 }
  analysis: { smokeRequests: 0, maxErrorRate: 0, maxLatencyP95Ms: 2000, postSwitchSeconds: 0.5 }
  scaleDownDelaySeconds: 60
`;
const GOOD = JSON.stringify({
  inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
});

let repo: string;
let router: ChildProcess | undefined;

async function registerRun(fixture: string, as: string, bias: number): Promise<string> {
  const dir = join(repo, "runs", as);
  await cp(join(FIXTURES, fixture), dir, { recursive: true });
  await mkdir(join(dir, "model"), { recursive: true });
  const { w, b } = CLASSIFIER_WEIGHTS;
  await writeFile(
    join(dir, "model", "model.onnx"),
    linearClassifierModel(
      w,
      b.map((x) => x + bias),
    ),
  );
  const run = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as { runId: string };
  await writeFile(join(dir, "run.json"), JSON.stringify({ ...run, runId: `${run.runId}-${as}` }));
  const r = await runCli(["register", `runs/${as}`, "--allow-failed-gates", "--json"], { cwd: repo });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { version: { version: string } }).version.version;
}

async function up(): Promise<string> {
  const started = await serveCli(["up", "--port", "0"], {
    cwd: repo,
    pattern: /serving on (http:\/\/127\.0\.0\.1:\d+)/,
  });
  router = started.child;
  return started.url;
}

async function productionAlias(): Promise<string | undefined> {
  const list = await runCli(["models", "list", "--json"], { cwd: repo });
  const versions = JSON.parse(list.stdout) as Array<{ version: string; aliases: string[] }>;
  return versions.find((v) => v.aliases.includes("production"))?.version;
}

async function served(url: string): Promise<string | null> {
  const res = await fetch(`${url}/v2/models/iris/infer`, { method: "POST", body: GOOD });
  await res.text();
  return res.status === 200 ? res.headers.get("x-modelship-version") : `status ${res.status}`;
}

async function until<T>(read: () => Promise<T>, want: T, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last = await read();
  while (last !== want && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

beforeAll(async () => {
  repo = await makeConfigRepo({
    config: CONFIG,
    prefix: "ms-alias-late-",
    files: { ".gitignore": ".modelship/\n" },
  });
});

afterAll(async () => {
  if (router) await stopCli(router);
  await removeTestDir(repo);
});

it("a promoted version whose slot crashes during the scale-down delay gives back traffic and the alias", async () => {
  const v1 = await registerRun("iris-baseline", "base", 0);
  const v2 = await registerRun("iris-candidate", "cand", 0.01);
  const url = await up();
  expect((await runCli(["deploy", v1], { cwd: repo })).code).toBe(0);
  const deployed = await runCli(["deploy", v2], { cwd: repo });
  expect(deployed.code, deployed.stderr).toBe(0);
  expect(await productionAlias()).toBe(v2);

  // `deploy` returned; the old colour is still warm. Kill the new version's slot.
  const state = JSON.parse(await readFile(join(repo, ".modelship", "deploy", "production.json"), "utf8")) as {
    active: { colour: "blue" | "green"; version: string };
    slots: Record<"blue" | "green", { pid: number | null } | null>;
  };
  expect(state.active.version).toBe(v2);
  const pid = state.slots[state.active.colour]?.pid;
  expect(pid).toBeTypeOf("number");
  process.kill(pid as number, "SIGKILL");

  expect(await until(() => served(url), v1)).toBe(v1);
  expect(await until(productionAlias, v1)).toBe(v1);
  const status = await runCli(["status", "--json"], { cwd: repo });
  expect(JSON.parse(status.stdout)).toMatchObject({ active: { version: v1 } });
}, 180_000);
