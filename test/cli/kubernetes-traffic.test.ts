import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseKubernetesState } from "../../core/kubernetes/kubernetes-state.ts";
import {
  fakeKubeconfigFile,
  startFakeKubeCluster,
  type FakeKubeCluster,
} from "../adapters/deploy-kubernetes/fake-kube-cluster.ts";
import { CLASSIFIER_WEIGHTS, linearClassifierModel } from "../fixtures/onnx/make-models.ts";
import { makeConfigRepo } from "./config-repo.ts";
import { runCli } from "./run-cli.ts";

const CONFIG = `model: { name: iris, task: classification, target: species }
deploy:
  target: kubernetes
  strategy: ab
  ab: { weight: 20 }
  health: { readyTimeoutSeconds: 5, intervalMs: 20 }
  analysis: { smokeRequests: 2, maxLatencyP95Ms: 1000, minAgreement: 0, postSwitchSeconds: 0.05 }
  scaleDownDelaySeconds: 0.05
  kubernetes: { namespace: models }
`;

let root = "";
let repo = "";
let cluster: FakeKubeCluster;
let env: NodeJS.ProcessEnv;
const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" });
const cli = (args: string[]) => runCli(args, { cwd: repo, env, timeoutMs: 60_000 });

/** A run directory of the fixture's baseline with its own run id, so each registers as a new version. */
async function addRun(name: string, runId: string): Promise<void> {
  const dir = join(repo, "runs", name);
  await cp(fileURLToPath(new URL("../fixtures/runs/iris-baseline", import.meta.url)), dir, {
    recursive: true,
  });
  await mkdir(join(dir, "model"), { recursive: true });
  await writeFile(
    join(dir, "model", "model.onnx"),
    Buffer.from(linearClassifierModel(CLASSIFIER_WEIGHTS.w, CLASSIFIER_WEIGHTS.b)),
  );
  const record = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(dir, "run.json"), JSON.stringify({ ...record, runId }));
}

function state() {
  const svc = cluster.api.get("Service", "models", "iris") as {
    metadata: { annotations?: Record<string, string> };
  };
  return parseKubernetesState(svc.metadata.annotations, { namespace: "models", service: "iris" });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ms-cli-k8s-traffic-"));
  repo = await makeConfigRepo({ config: CONFIG, dir: join(root, "repo") });
  git("remote", "add", "origin", "git@github.com:acme/iris.git");
  cluster = await startFakeKubeCluster({ blue: "1.0.0", green: "1.1.0" });
  const kubeconfig = join(root, "kubeconfig");
  await writeFile(kubeconfig, fakeKubeconfigFile(cluster.api.url, "models"));
  env = { KUBECONFIG: kubeconfig };
  await addRun("first", "20261206-090000-aaaaaa");
  await addRun("second", "20261206-091000-bbbbbb");
  for (const [run, version] of [
    ["runs/first", "1.0.0"],
    ["runs/second", "1.1.0"],
  ] as const) {
    const r = await runCli(["register", run, "--version", version], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
  }
  const live = await cli(["deploy", "1.0.0"]);
  expect(live.code, live.stderr).toBe(0);
  expect(state()?.active).toMatchObject({ colour: "blue", version: "1.0.0" });
}, 240_000);

afterAll(async () => {
  await cluster.close();
  await rm(root, { recursive: true, force: true });
});

describe("`modelship promote` and `modelship abort` with deploy.target: kubernetes", () => {
  it("promote ends a held A/B: the new version takes all traffic, the alias follows", async () => {
    const held = await cli(["deploy", "1.1.0"]);
    expect(held.code, held.stderr).toBe(0);
    expect(state()?.split).toMatchObject({ target: { version: "1.1.0" } });

    const stepped = await cli(["promote", "--step"]);
    expect(stepped.code).toBe(2);
    expect(stepped.stderr).toMatch(/\[option-invalid\]/);

    const promoted = await cli(["promote", "--json"]);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(JSON.parse(promoted.stdout)).toMatchObject({ outcome: "succeeded", version: "1.1.0" });
    expect(JSON.parse(promoted.stdout).aliasError).toBeUndefined();
    expect(state()?.active).toMatchObject({ colour: "green", version: "1.1.0" });
    expect(state()?.split).toBeUndefined();
    expect(git("log", "-1", "--format=%B", "refs/modelship/aliases/iris/production")).toMatch(
      /1\.1\.0[\s\S]*promote/,
    );

    const again = await cli(["promote"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/\[nothing-to-resume\]/);
  }, 240_000);

  it("abort returns all traffic to the live version and stops the new one", async () => {
    const held = await cli(["deploy", "1.0.0", "--ab", "30"]);
    expect(held.code, held.stderr).toBe(0);
    expect(state()?.split).toMatchObject({ target: { version: "1.0.0" } });
    const aborted = await cli(["abort", "--json"]);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(JSON.parse(aborted.stdout)).toMatchObject({ outcome: "rolled-back", reason: "aborted" });
    expect(state()?.active).toMatchObject({ colour: "green", version: "1.1.0" });
    expect(state()?.split).toBeUndefined();
    const replicas = (cluster.api.get("Deployment", "models", "iris-blue") as { spec: { replicas: number } })
      .spec.replicas;
    expect(replicas).toBe(0);
  }, 240_000);
});
