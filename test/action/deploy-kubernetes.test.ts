import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeKubeApi } from "../adapters/deploy-kubernetes/fake-kube-api.ts";
import {
  fakeKubeconfigFile,
  startFakeKubeCluster,
  type FakeKubeCluster,
} from "../adapters/deploy-kubernetes/fake-kube-cluster.ts";
import {
  ensureRepo,
  startFakeGitHub,
  type FakeGitHub,
  type FakeRepo,
} from "../support/fake-github/fake-github.ts";
import { createWorkspace, IRIS_CONFIG } from "./action-workspace.ts";
import { classifierModel } from "../fixtures/onnx/make-models.ts";
import { CLI_ENTRY, runAction } from "./run-action.ts";

const NS = "ml";
const CONFIG = `${IRIS_CONFIG}deploy:
  target: kubernetes
  health: { readyTimeoutSeconds: 2, intervalMs: 20 }
  analysis: { smokeRequests: 3, maxLatencyP95Ms: 1000, postSwitchSeconds: 0 }
  scaleDownDelaySeconds: 0
  environments:
    production: { url: "https://iris.example.com" }
  kubernetes:
    namespace: ${NS}
    image: "ghcr.io/acme/modelship-serve:3f1c2e9a0b1c"
`;

let fake: FakeGitHub;
let repo: FakeRepo;
let cluster: FakeKubeCluster;
let kube: FakeKubeApi;
let dir = "";
let ws = "";
let kubeconfig = "";

beforeAll(async () => {
  fake = await startFakeGitHub();
  repo = ensureRepo(fake.state, "Codertocat", "Hello-World");
  cluster = await startFakeKubeCluster({ blue: "blue", green: "green" });
  kube = cluster.api;
  dir = await mkdtemp(join(tmpdir(), "modelship-kube-"));
  kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, fakeKubeconfigFile(kube.url, NS));
  ws = await createWorkspace({ config: CONFIG });
  // The registry keeps the model file (register loads it once); the pods fetch it from there.
  await mkdir(join(ws, "runs", "iris-candidate", "model"), { recursive: true });
  await writeFile(join(ws, "runs", "iris-candidate", "model", "model.onnx"), classifierModel());
});
afterAll(async () => {
  expect(fake.invalid).toEqual([]);
  await Promise.all([fake.close(), cluster.close()]);
  await Promise.all([dir, ws].map((d) => rm(d, { recursive: true, force: true })));
});

function run(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runAction({
    workspace: ws,
    inputs: { "github-token": "ghs_workflowtoken", ...inputs },
    apiUrl: fake.url,
    timeoutMs: 120_000,
    env: {
      GITHUB_SHA: repo.refs["refs/heads/main"]!,
      KUBECONFIG: kubeconfig,
      MODELSHIP_CLI: CLI_ENTRY,
      ...env,
    },
  });
}

describe("command: deploy with target kubernetes", () => {
  it("rolls out through the cluster API from the bundle, then rolls back to the previous version", async () => {
    const service = () =>
      kube.get("Service", NS, "iris") as { spec: { selector: Record<string, string> } } | undefined;
    const candidate = join(ws, "runs", "iris-candidate");
    expect((await run({ command: "register", "run-dir": "runs/iris-candidate" })).outputs["version"]).toBe(
      "1.0.0",
    );
    const record = JSON.parse(await readFile(join(candidate, "run.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(candidate, "run.json"), JSON.stringify({ ...record, runId: "second-run" }));
    const v2 = (
      await run({ command: "register", "run-dir": "runs/iris-candidate", baseline: "runs/iris-baseline" })
    ).outputs["version"];

    const first = await run({ command: "deploy", version: "1.0.0" });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.outputs).toMatchObject({
      decision: "pass",
      "reason-code": "promoted",
      version: "1.0.0",
      "deployment-url": "https://iris.example.com",
    });
    expect(service()?.spec.selector).toMatchObject({ "modelship.dev/colour": "blue" });
    type Container = { image: string; args: string[]; env?: { name: string; value?: string }[] };
    const pod = (
      kube.get("Deployment", NS, "iris-blue") as {
        spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } };
      }
    ).spec.template.spec;
    // The server serves what the init container fetched from the registry and checked against
    // the version's pinned digests; no model is baked into the image.
    const server = pod.containers[0]!;
    expect(server.image).toBe("ghcr.io/acme/modelship-serve:3f1c2e9a0b1c");
    expect(server.args.join(" ")).toMatch(/--model \/models\/iris\/1\.0\.0\b/);
    const fetcher = pod.initContainers?.[0];
    expect(fetcher?.args).toEqual(["fetch-model", "--dir", "/models"]);
    expect(fetcher?.image).toBe(server.image);
    expect(JSON.stringify(fetcher?.env)).toMatch(/sha256/);

    const second = await run({ command: "deploy" });
    expect(second.outputs).toMatchObject({ "reason-code": "promoted", version: v2 });
    expect(service()?.spec.selector).toMatchObject({ "modelship.dev/colour": "green" });
    // One serving image for every version: only the init container's pinned version differs.
    const green = (
      kube.get("Deployment", NS, "iris-green") as {
        spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } };
      }
    ).spec.template.spec;
    expect(green.containers[0]!.image).toBe(server.image);
    expect(green.initContainers?.[0]?.env).toContainEqual({ name: "MODELSHIP_MODEL_VERSION", value: v2 });

    const back = await run({ command: "rollback" });
    expect(back.code, back.stdout).toBe(0);
    expect(back.outputs).toMatchObject({ decision: "pass", "reason-code": "promoted", version: "1.0.0" });
    expect(service()?.spec.selector).toMatchObject({ "modelship.dev/colour": "blue" });

    const created = repo.deployments.slice(-3);
    expect(created.map((d) => (d.payload as { version: string }).version)).toEqual(["1.0.0", v2, "1.0.0"]);
    for (const d of created) {
      expect(repo.deploymentStatuses.filter((s) => s.deploymentId === d.id).map((s) => s.state)).toEqual(
        expect.arrayContaining(["in_progress", "success"]),
      );
    }
    // Two registrations each load the model once through the CLI; three rollouts follow.
  }, 240_000);

  it("ends in error with kubeconfig-missing when the job has no cluster credentials", async () => {
    const result = await run({ command: "deploy", version: "1.0.0" }, { KUBECONFIG: join(ws, "nope") });
    expect(result.code).toBe(1);
    expect(result.outputs).toMatchObject({ decision: "error", "reason-code": "kubeconfig-missing" });
  });
});
