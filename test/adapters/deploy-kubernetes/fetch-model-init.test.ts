import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openKubernetesTarget } from "../../../adapters/deploy-kubernetes/kubernetes-target.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { parseKubernetesState } from "../../../core/kubernetes/kubernetes-state.ts";
import { parseFetchEnv, type ModelSource } from "../../../core/kubernetes/model-source.ts";
import type { Artifact, ModelVersion } from "../../../core/registry/registry-port.ts";
import { pinnedArtifactProblems } from "../../../runners/fetch/pinned-artifact-problems.ts";
import type { FakeKubeApi } from "./fake-kube-api.ts";
import { fakeKubeConfig, startFakeKubeCluster, type FakeKubeCluster } from "./fake-kube-cluster.ts";
import { POD_PREDICTION_LOG_ARGS } from "./pod-log-args.ts";

const NS = "ml";
const SOURCE: ModelSource = {
  registry: "github",
  repository: "acme/iris",
  apiUrl: "https://api.github.com",
  tagFormat: "model/{name}/v{version}",
};
const config = ConfigSchema.parse({
  model: { name: "iris" },
  deploy: {
    target: "kubernetes",
    health: { readyTimeoutSeconds: 1, intervalMs: 20 },
    analysis: { smokeRequests: 2, maxErrorRate: 0, maxLatencyP95Ms: 1000, postSwitchSeconds: 0.05 },
    scaleDownDelaySeconds: 0.05,
    kubernetes: { namespace: NS, image: "ghcr.io/acme/modelship-serve:3f1c2e9" },
  },
});

const digest = (c: string) => c.repeat(64);
function version(v: string, modelSha: string): ModelVersion {
  const artifacts: Artifact[] = [
    { path: "model/model.onnx", sha256: modelSha, bytes: 120 },
    { path: "run.json", sha256: digest("e"), bytes: 300 },
  ];
  return {
    name: "iris",
    version: v,
    tag: `model/iris/v${v}`,
    createdAt: "2026-03-01T12:00:00Z",
    runId: `run-${v}`,
    metrics: {},
    params: {},
    dataFingerprint: "sha256:0",
    lineage: { commit: null, branch: null, runId: `run-${v}`, parentVersion: null },
    artifacts,
    aliases: [],
  };
}

let cluster: FakeKubeCluster;
let api: FakeKubeApi;
/** What the registry holds now, by version: the init container compares the pinned digests with it. */
let registry: Map<string, ModelVersion>;
let initRuns: Array<{ version: string; ok: boolean }>;

beforeEach(async () => {
  cluster = await startFakeKubeCluster({ blue: "blue", green: "green" });
  api = cluster.api;
  registry = new Map();
  initRuns = [];
  for (const colour of ["iris-blue", "iris-green"]) {
    api.pods(colour, {
      initContainer: ({ name, env }) => {
        if (name !== "fetch-model") return false;
        const parsed = parseFetchEnv(env);
        if (!parsed.ok) return false;
        const entry = registry.get(parsed.pinned.version);
        const ok = entry !== undefined && pinnedArtifactProblems(entry, parsed.pinned.artifacts).length === 0;
        initRuns.push({ version: parsed.pinned.version, ok });
        return ok;
      },
    });
  }
});
afterEach(() => cluster.close());

async function target() {
  return openKubernetesTarget({
    env: {},
    config,
    environment: "production",
    now: () => new Date(),
    log: () => {},
    kubeConfig: fakeKubeConfig(api.url, NS),
    modelSource: SOURCE,
  });
}

async function deploy(v: ModelVersion) {
  const t = await target();
  return t.deploy(await t.materialise(v));
}

/** The artifacts as the init container's environment carries them: Go's key order, as Helm's toJson writes. */
const pinnedJson = (artifacts: Artifact[]) =>
  JSON.stringify(artifacts.map(({ bytes, path, sha256 }) => ({ bytes, path, sha256 })));

function initEnv(colour: string): Record<string, string> {
  const d = api.get("Deployment", NS, `iris-${colour}`) as {
    spec: { template: { spec: { initContainers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
  };
  const env = d.spec.template.spec.initContainers[0]?.env ?? [];
  return Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
}

describe("the init container that fetches and verifies the version", () => {
  it("serves a version whose registry entry still has the pinned digests, from the shared volume", async () => {
    const v1 = version("1.0.0", digest("a"));
    registry.set("1.0.0", v1);
    const r = await deploy(v1);
    expect(r).toMatchObject({ outcome: "succeeded", reason: "promoted" });
    expect(initEnv("blue")).toMatchObject({
      MODELSHIP_MODEL_VERSION: "1.0.0",
      MODELSHIP_REGISTRY: "github",
      MODELSHIP_REGISTRY_LOCATION: "acme/iris",
      MODELSHIP_MODEL_ARTIFACTS: pinnedJson(v1.artifacts),
    });
    expect(api.get("Deployment", NS, "iris-blue")).toMatchObject({
      spec: {
        template: {
          spec: {
            containers: [
              {
                args: [
                  "serve",
                  "--model",
                  "/models/iris/1.0.0",
                  "--name",
                  "iris",
                  "--model-version",
                  "1.0.0",
                  "--host",
                  "0.0.0.0",
                  "--port",
                  "8080",
                  // serve.batching's defaults.
                  "--max-batch-rows",
                  "64",
                  "--max-queue-delay-us",
                  "0",
                  // deploy.kubernetes.predictionLog is on by default, with monitoring's defaults.
                  ...POD_PREDICTION_LOG_ARGS,
                ],
              },
            ],
          },
        },
      },
    });
    expect(initRuns).toContainEqual({ version: "1.0.0", ok: true });
  });

  it("rolls back when the registry entry was replaced after the deploy read it: the pods never become Ready", async () => {
    const v1 = version("1.0.0", digest("a"));
    const v2 = version("1.1.0", digest("b"));
    registry.set("1.0.0", v1);
    expect(await deploy(v1)).toMatchObject({ outcome: "succeeded" });
    // The release's model asset is swapped between the deploy's read and the pod's fetch.
    registry.set("1.1.0", version("1.1.0", digest("c")));
    const r = await deploy(v2);
    expect(r).toMatchObject({ outcome: "rolled-back", reason: "ready-timeout" });
    expect(r.message).toContain("iris-green was not ready");
    expect(initRuns).toContainEqual({ version: "1.1.0", ok: false });
    expect(api.get("Service", NS, "iris")).toMatchObject({
      spec: { selector: { "modelship.dev/colour": "blue" } },
    });
    expect(api.get("Deployment", NS, "iris-green")).toMatchObject({ spec: { replicas: 0 } });
    const svc = api.get("Service", NS, "iris") as { metadata: { annotations: Record<string, string> } };
    expect(parseKubernetesState(svc.metadata.annotations, { namespace: NS, service: "iris" })).toMatchObject({
      active: { version: "1.0.0", fetch: { artifacts: v1.artifacts } },
    });
  });

  it("a rollback fetches the previous version with the digests pinned when it was deployed", async () => {
    const v1 = version("1.0.0", digest("a"));
    const v2 = version("1.1.0", digest("b"));
    registry.set("1.0.0", v1).set("1.1.0", v2);
    expect(await deploy(v1)).toMatchObject({ outcome: "succeeded" });
    expect(await deploy(v2)).toMatchObject({ outcome: "succeeded", colour: "green" });
    const r = await (await target()).rollback();
    expect(r).toMatchObject({ outcome: "succeeded" });
    expect(initEnv("blue")).toMatchObject({
      MODELSHIP_MODEL_VERSION: "1.0.0",
      MODELSHIP_MODEL_ARTIFACTS: pinnedJson(v1.artifacts),
    });
  });
});
