import { execFileSync } from "node:child_process";
import { access, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeKubeApi } from "../adapters/deploy-kubernetes/fake-kube-api.ts";
import type { FakeKubeApi } from "../adapters/deploy-kubernetes/fake-kube-api.ts";
import { fakeKubeconfigFile } from "../adapters/deploy-kubernetes/fake-kube-cluster.ts";
import { startFakeV2Pod } from "../adapters/deploy-kubernetes/fake-v2-pod.ts";
import { CLASSIFIER_WEIGHTS, linearClassifierModel } from "../fixtures/onnx/make-models.ts";
import { runCli } from "./run-cli.ts";
import { makeConfigRepo } from "./config-repo.ts";

const CONFIG = `model: { name: iris, task: classification, target: species }
deploy:
  target: kubernetes
  kubernetes: { namespace: models }
`;

let root: string;
let repo: string;
let api: FakeKubeApi;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ms-cli-k8s-"));
  repo = join(root, "repo");
  await mkdir(join(repo, ".github"), { recursive: true });
  await writeFile(join(repo, ".github/modelship.yml"), CONFIG);
  api = await startFakeKubeApi();
  const kubeconfig = join(root, "kubeconfig");
  await writeFile(kubeconfig, fakeKubeconfigFile(api.url, "models"));
  env = { KUBECONFIG: kubeconfig };
});

afterAll(async () => {
  await api.close();
  await rm(root, { recursive: true, force: true });
});

const version = (v: string) => ({ name: "iris", version: v, modelUri: "/models/model", image: `iris:${v}` });

describe("the CLI with deploy.target: kubernetes", () => {
  it("status reads the Service's state, not a local state file", async () => {
    const none = await runCli(["status", "--json"], { cwd: repo, env });
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ target: "kubernetes", active: null, previous: null });

    api.seed("Service", {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "iris",
        namespace: "models",
        annotations: {
          "modelship.dev/state": JSON.stringify({
            schemaVersion: 1,
            environment: "production",
            updatedAt: "2026-01-01T00:00:00Z",
            active: { ...version("2.0.0"), colour: "green", since: "2026-01-01T00:00:00Z" },
            previous: version("1.0.0"),
          }),
        },
      },
      spec: { selector: { app: "iris" }, ports: [{ port: 80 }] },
    });
    const live = await runCli(["status"], { cwd: repo, env });
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toMatch(/production: kubernetes \(namespace models\)/);
    expect(live.stdout).toMatch(/live: +v2\.0\.0/);
    expect(live.stdout).toMatch(/previous: +v1\.0\.0/);
  });

  it.each([["up"], ["run"]])("`%s` refuses with exit 2 instead of opening a local router", async (cmd) => {
    const r = await runCli([cmd, "--port", "0"], { cwd: repo, env, timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/deploy\.target is kubernetes/);
    expect(r.stderr).toMatch(/target-not-local/);
    await expect(access(join(repo, ".modelship", "deploy"))).rejects.toThrow();
    await expect(access(join(repo, ".modelship", "runs"))).rejects.toThrow();
  });
});

const DEPLOY_CONFIG = `model: { name: iris, task: classification, target: species }
serve:
  batching: { maxQueueDelayUs: 2000 }
deploy:
  target: kubernetes
  health: { readyTimeoutSeconds: 5, intervalMs: 20 }
  analysis: { smokeRequests: 2, maxLatencyP95Ms: 1000, minAgreement: 0, postSwitchSeconds: 0.05 }
  scaleDownDelaySeconds: 0.05
  kubernetes: { namespace: models }
`;

type PodSpec = {
  initContainers?: Array<{ name: string; env: Array<{ name: string; value?: string }> }>;
  containers: Array<{ args: string[] }>;
};

describe("`modelship deploy` to Kubernetes from a checkout", () => {
  let gitRepo: string;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: gitRepo, encoding: "utf8" });
  const deployment = (colour: string) =>
    api.get("Deployment", "models", `iris-${colour}`) as
      { spec: { template: { spec: PodSpec } } } | undefined;

  beforeAll(async () => {
    gitRepo = await makeConfigRepo({ config: DEPLOY_CONFIG, dir: join(root, "checkout") });
    const run = join(gitRepo, "runs", "base");
    await cp(fileURLToPath(new URL("../fixtures/runs/iris-baseline", import.meta.url)), run, {
      recursive: true,
    });
    await mkdir(join(run, "model"), { recursive: true });
    await writeFile(
      join(run, "model", "model.onnx"),
      Buffer.from(linearClassifierModel(CLASSIFIER_WEIGHTS.w, CLASSIFIER_WEIGHTS.b)),
    );
    const registered = await runCli(["register", "runs/base"], { cwd: gitRepo });
    expect(registered.code, registered.stderr).toBe(0);
  });

  it("refuses with exit 2 when the cluster could not fetch the version, creating nothing", async () => {
    const r = await runCli(["deploy", "1.0.0"], { cwd: gitRepo, env, timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the cluster cannot fetch the version: GITHUB_REPOSITORY is not set/);
    expect(r.stderr).toMatch(/model-source-missing/);
    expect(deployment("blue")).toBeUndefined();
  });

  it("gives the pods an init container that fetches the version from origin, and the server the batching flags", async () => {
    git("remote", "add", "origin", "git@github.com:acme/iris.git");
    const pod = await startFakeV2Pod({ name: "iris", version: "1.0.0" });
    api.backend("iris-blue", pod.url);
    try {
      const r = await runCli(["deploy", "1.0.0"], { cwd: gitRepo, env, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const spec = deployment("blue")!.spec.template.spec;
      const init = spec.initContainers?.find((c) => c.name === "fetch-model");
      const fetchEnv = Object.fromEntries((init?.env ?? []).map((e) => [e.name, e.value]));
      expect(fetchEnv).toMatchObject({
        MODELSHIP_REGISTRY: "git",
        MODELSHIP_REGISTRY_LOCATION: "https://github.com/acme/iris.git",
        MODELSHIP_MODEL_VERSION: "1.0.0",
      });
      const tagged = git("show", "model/iris/v1.0.0:model/model.onnx", "--format=");
      expect(tagged.length).toBeGreaterThan(0);
      expect(JSON.parse(fetchEnv["MODELSHIP_MODEL_ARTIFACTS"] ?? "[]")).toContainEqual(
        expect.objectContaining({ path: "model/model.onnx" }),
      );
      expect(spec.containers[0]!.args).toEqual(
        expect.arrayContaining(["--model", "/models/iris/1.0.0", "--max-queue-delay-us", "2000"]),
      );
    } finally {
      await pod.close();
    }
  });
});
