import type { KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openKubernetesTarget } from "../../../adapters/deploy-kubernetes/kubernetes-target.ts";
import { ConfigSchema, type ConfigInput } from "../../../core/config/schema.ts";
import type { ModelVersion } from "../../../core/registry/registry-port.ts";
import { startFakeKubeApi, type FakeKubeApi } from "./fake-kube-api.ts";
import { fakeKubeConfig } from "./fake-kube-cluster.ts";
import { startFakeV2Pod, type FakeV2Pod } from "./fake-v2-pod.ts";

const NS = "ml";
const IMAGE = "ghcr.io/acme/modelship-serve:3f1c2e9a0b1c";

let api: FakeKubeApi;
let pod: FakeV2Pod;
let kubeConfig: KubeConfig;

beforeEach(async () => {
  api = await startFakeKubeApi();
  pod = await startFakeV2Pod({ name: "iris", version: "1.0.0" });
  api.backend("iris-blue", pod.url);
  kubeConfig = fakeKubeConfig(api.url, NS);
});
afterEach(async () => {
  await Promise.all([api.close(), pod.close()]);
});

const version: ModelVersion = {
  name: "iris",
  version: "1.0.0",
  tag: "model/iris/v1.0.0",
  createdAt: "2026-12-06T09:00:00.000Z",
  runId: "run-1",
  metrics: {},
  params: {},
  dataFingerprint: "sha256:0",
  lineage: { commit: null, branch: null, runId: "run-1", parentVersion: null },
  artifacts: [{ path: "model/model.onnx", sha256: "a".repeat(64), bytes: 10 }],
  aliases: [],
};

function open(kubernetes: NonNullable<ConfigInput["deploy"]>["kubernetes"], env: NodeJS.ProcessEnv) {
  const config = ConfigSchema.parse({
    model: { name: "iris" },
    deploy: {
      target: "kubernetes",
      health: { readyTimeoutSeconds: 2, intervalMs: 20 },
      analysis: { smokeRequests: 2, maxLatencyP95Ms: 1000, minAgreement: 0, postSwitchSeconds: 0 },
      scaleDownDelaySeconds: 0,
      kubernetes: { namespace: NS, image: IMAGE, ...kubernetes },
    },
  });
  return openKubernetesTarget({
    env,
    config,
    environment: "production",
    now: () => new Date(),
    log: () => undefined,
    kubeConfig,
  });
}

type PodSpec = {
  containers: Array<{ image: string; args: string[] }>;
  initContainers?: Array<{ image: string }>;
};
const podSpec = () =>
  (api.get("Deployment", NS, "iris-blue") as { spec: { template: { spec: PodSpec } } }).spec.template.spec;

describe("the kubernetes target's serving image", () => {
  it("runs the one serving image, with the version fetched by the init container, when the pods can reach the registry", async () => {
    const target = await open(
      { versionImage: "ghcr.io/acme/iris:{version}" },
      { GITHUB_REPOSITORY: "acme/iris" },
    );
    const r = await target.deploy(await target.materialise(version));
    expect(r.outcome).toBe("succeeded");
    const spec = podSpec();
    expect(spec.containers[0]!.image).toBe(IMAGE);
    expect(spec.initContainers?.map((c) => c.image)).toEqual([IMAGE]);
    expect(spec.containers[0]!.args.join(" ")).toContain("--model /models/iris/1.0.0");
  });

  it("refuses a version no registry source can bring, unless a per-version image is opted in", async () => {
    const target = await open({}, {});
    await expect(target.materialise(version)).rejects.toMatchObject({ code: "model-source-missing" });
    expect(api.get("Deployment", NS, "iris-blue")).toBeUndefined();
  });

  it("the opt-in per-version image carries the model: no init container, the model read from the image", async () => {
    const target = await open({ versionImage: "ghcr.io/acme/{model}:{version}" }, {});
    const r = await target.deploy(await target.materialise(version));
    expect(r.outcome).toBe("succeeded");
    const spec = podSpec();
    expect(spec.containers[0]!.image).toBe("ghcr.io/acme/iris:1.0.0");
    expect(spec.initContainers ?? []).toEqual([]);
    expect(spec.containers[0]!.args.join(" ")).toContain("--model /models/model");
  });
});
