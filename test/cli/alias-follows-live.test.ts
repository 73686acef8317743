import type { ChildProcess } from "node:child_process";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import onnxProto from "onnx-proto";
import { CLASSIFIER_WEIGHTS, linearClassifierModel } from "../fixtures/onnx/make-models.ts";
import { runCli, serveCli } from "./run-cli.ts";
import { makeConfigRepo } from "./config-repo.ts";
import { removeTestDir, stopCli } from "./stop-cli.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/runs/", import.meta.url));
// No pre-switch smoke: a broken version takes traffic, and its post-switch check on it fails it.
const CONFIG = `model: { name: iris, task: classification, target: species }
metrics:
  primary: accuracy
  gates:
    accuracy: { maxRegression: 0.01 }
deploy:
  health: { readyTimeoutSeconds: 20, intervalMs: 50 }
  analysis: { smokeRequests: 0, maxErrorRate: 0, maxLatencyP95Ms: 2000, postSwitchSeconds: 1 }
  scaleDownDelaySeconds: 0.3
`;
const GOOD = JSON.stringify({
  inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
});
// Valid input every version answers, except the broken one, whose square root of it is NaN.
const NEGATIVE = JSON.stringify({
  inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [-5.1, -3.5, -1.4, -0.2] }],
});

const TRAFFIC_GAP_MS = 20;

/** Passes registration (finite answers on measurements) but answers NaN for negative input. */
function sqrtModel(): Uint8Array {
  const { onnx } = onnxProto;
  const io = (name: string) => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: "batch" }, { dimValue: 4 }] },
      },
    },
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: "modelship-test-fixtures",
      opsetImport: [{ domain: "", version: 13 }],
      graph: {
        name: "sqrt",
        node: [{ opType: "Sqrt", input: ["input"], output: ["scores"], name: "sqrt" }],
        input: [io("input")],
        output: [io("scores")],
      },
    }),
  ).finish();
}

let repo: string;
const routers: ChildProcess[] = [];

async function addRun(fixture: string, as: string, model: Uint8Array): Promise<string> {
  const dir = join(repo, "runs", as);
  await cp(join(FIXTURES, fixture), dir, { recursive: true });
  await mkdir(join(dir, "model"), { recursive: true });
  await writeFile(join(dir, "model", "model.onnx"), model);
  // A run of its own: the run id is what the registry keys a run by.
  const run = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as { runId: string };
  await writeFile(join(dir, "run.json"), JSON.stringify({ ...run, runId: `${run.runId}-${as}` }));
  return `runs/${as}`;
}

async function register(run: string): Promise<string> {
  const r = await runCli(["register", run, "--allow-failed-gates", "--json"], { cwd: repo });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { version: { version: string } }).version.version;
}

async function deploy(version: string): Promise<void> {
  const r = await runCli(["deploy", version], { cwd: repo });
  expect(r.code, r.stderr).toBe(0);
}

/** `modelship up` in the background, as a user runs it; resolves with the router's address. */
async function up(): Promise<{ url: string; child: ChildProcess }> {
  const served = serveCli(["up", "--port", "0"], {
    cwd: repo,
    pattern: /serving on (http:\/\/127\.0\.0\.1:\d+)/,
  });
  const started = await served;
  routers.push(started.child);
  return started;
}

/** The version the production alias names (from `modelship models list`), and the one the router serves. */
async function aliasAndServed(url: string): Promise<{ alias: string | undefined; served: string | null }> {
  // Both read a settled state (no command in between): asked at once, they cost one wait, not two.
  const [list, res] = await Promise.all([
    runCli(["models", "list", "--json"], { cwd: repo }),
    fetch(`${url}/v2/models/iris/infer`, { method: "POST", body: GOOD }),
  ]);
  expect(list.code, list.stderr).toBe(0);
  const versions = JSON.parse(list.stdout) as Array<{ version: string; aliases: string[] }>;
  await res.text();
  return {
    alias: versions.find((v) => v.aliases.includes("production"))?.version,
    served: res.headers.get("x-modelship-version"),
  };
}

beforeAll(async () => {
  repo = await makeConfigRepo({
    config: CONFIG,
    prefix: "ms-alias-live-",
    files: { ".gitignore": ".modelship/\n" },
  });
});

afterAll(async () => {
  // SIGTERM: the router stops its slots, which write their last prediction-log lines before they exit.
  await Promise.all(routers.map((c) => stopCli(c)));
  await removeTestDir(repo);
});

it("the production alias names the version the router serves through deploy, failure, rollback and restart", async () => {
  // The router serves nothing until the first deploy: it starts while the versions are registered.
  const starting = up();
  // Handled here too: a start that fails while versions register is reported where it is awaited.
  starting.catch(() => undefined);
  const { w, b } = CLASSIFIER_WEIGHTS;
  const v1 = await register(await addRun("iris-baseline", "base", linearClassifierModel(w, b)));
  const v2 = await register(
    await addRun(
      "iris-candidate",
      "cand",
      linearClassifierModel(
        w,
        b.map((x) => x + 0.01),
      ),
    ),
  );
  const broken = await register(await addRun("iris-candidate", "sqrt", sqrtModel()));
  let router = await starting;

  await deploy(v1);
  expect(await aliasAndServed(router.url)).toEqual({ alias: v1, served: v1 });
  await deploy(v2);
  expect(await aliasAndServed(router.url)).toEqual({ alias: v2, served: v2 });

  // Traffic during the broken version's post-switch check, so the check has something to judge:
  // a request every TRAFFIC_GAP_MS, dozens in its window, without taking the CPU the deploy needs.
  let stop = false;
  const traffic = (async () => {
    while (!stop) {
      await (await fetch(`${router.url}/v2/models/iris/infer`, { method: "POST", body: NEGATIVE })).text();
      await sleep(TRAFFIC_GAP_MS);
    }
  })();
  const failed = await runCli(["deploy", broken, "--json"], { cwd: repo });
  stop = true;
  await traffic;
  expect(failed.code).toBe(1);
  expect(JSON.parse(failed.stdout)).toMatchObject({ outcome: "rolled-back", reason: "post-switch-failed" });
  expect(await aliasAndServed(router.url)).toEqual({ alias: v2, served: v2 });

  const back = await runCli(["rollback"], { cwd: repo });
  expect(back.code, back.stderr).toBe(0);
  expect(await aliasAndServed(router.url)).toEqual({ alias: v1, served: v1 });

  const exited = new Promise((r) => router.child.once("exit", r));
  router.child.kill("SIGTERM");
  await exited;
  router = await up();
  expect(await aliasAndServed(router.url)).toEqual({ alias: v1, served: v1 });
}, 240_000);
