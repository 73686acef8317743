import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  deployKubernetes,
  readKubernetesState,
  rollbackKubernetes,
} from "../../../adapters/deploy-kubernetes/deploy-kubernetes.ts";
import type { KubernetesRolloutResult } from "../../../adapters/deploy-kubernetes/deploy-kubernetes.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import type { ConfigInput } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { startFakeKubeApi } from "./fake-kube-api.ts";
import type { FakeKubeApi, FakeKubeCall, RbacRule } from "./fake-kube-api.ts";
import { fakeKubeConfig, startFakeKubeCluster, type FakeKubeCluster } from "./fake-kube-cluster.ts";
import type { FakeV2Pod } from "./fake-v2-pod.ts";
import { POD_PREDICTION_LOG_ARGS } from "./pod-log-args.ts";

const NS = "ml";
const SCALE_DOWN_DELAY_S = 0.25;

function deployConfig(overrides: ConfigInput["deploy"] = {}) {
  return ConfigSchema.parse({
    model: { name: "iris" },
    deploy: {
      target: "kubernetes",
      environment: "production",
      health: { readyTimeoutSeconds: 1, intervalMs: 20 },
      analysis: { smokeRequests: 3, maxErrorRate: 0, maxLatencyP95Ms: 1000, postSwitchSeconds: 0.1 },
      scaleDownDelaySeconds: SCALE_DOWN_DELAY_S,
      kubernetes: {
        namespace: NS,
        image: "ghcr.io/acme/modelship-serve:0.1.0",
        versionImage: "ghcr.io/acme/iris-serve:{version}",
      },
      ...overrides,
    },
  }).deploy;
}

const model = (version: string) => ({ name: "iris", version, modelUri: "/models/model" });

/** One line per API call; polling repeats collapse into one line. */
function summarise(calls: readonly FakeKubeCall[]): string[] {
  const lines = calls.map((c) => {
    const proxy = /\/services\/([^/:]+):http\/proxy(\/.*)$/.exec(c.path);
    if (proxy) return `proxy ${proxy[1]} ${c.method} ${proxy[2]}`;
    const m = /\/namespaces\/[^/]+\/([^/]+)\/([^/]+)(\/scale)?$/.exec(c.path);
    const what = m ? `${m[1]}/${m[2]}` : c.path;
    if (c.method === "GET") return `GET ${what}`;
    if (m?.[3]) return `SCALE ${what} ${JSON.stringify((c.body as { spec: unknown }).spec)}`;
    if (c.contentType === "application/apply-patch+yaml") return `APPLY ${what}`;
    return `${c.method} ${c.contentType} ${what}`;
  });
  return lines.filter((l, i) => i === 0 || l !== lines[i - 1]);
}

let cluster: FakeKubeCluster;
let api: FakeKubeApi;
let blue: FakeV2Pod;
let green: FakeV2Pod;
let kubeConfig: KubeConfig;

beforeEach(async () => {
  cluster = await startFakeKubeCluster({ blue: "blue", green: "green" });
  ({ api, blue, green } = cluster);
  kubeConfig = fakeKubeConfig(api.url, NS);
});

afterEach(() => cluster.close());

/** Puts 1.0.0 live on blue through the target itself, then forgets the calls it made. */
async function baseline(): Promise<void> {
  const r = await deployKubernetes({
    kubeConfig,
    config: deployConfig(),
    env: "production",
    model: model("1.0.0"),
  });
  expect(r).toMatchObject({ outcome: "succeeded", reason: "promoted", colour: "blue" });
  api.calls.length = 0;
}

function lastCall(pred: (c: FakeKubeCall) => boolean): FakeKubeCall {
  const found = api.calls.filter(pred).at(-1);
  if (!found) throw new Error("no such call");
  return found;
}

const isServiceApply = (name: string) => (c: FakeKubeCall) =>
  c.method === "PATCH" && c.path === `/api/v1/namespaces/${NS}/services/${name}`;

describe("deployKubernetes", () => {
  it("brings the first version up in blue and points the Service at it", async () => {
    const statuses: string[] = [];
    const r = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.0.0"),
      onStatus: (s) => statuses.push(`${s.status}:${s.phase}`),
    });
    expect(r).toMatchObject({ outcome: "succeeded", reason: "promoted", phase: "complete", colour: "blue" });
    expect(summarise(api.calls)).toEqual([
      "GET services/iris",
      "APPLY services/iris-preview",
      "APPLY deployments/iris-blue",
      "APPLY horizontalpodautoscalers/iris-blue",
      "APPLY poddisruptionbudgets/iris",
      "GET deployments/iris-blue",
      "proxy iris-preview GET /v2/models/iris",
      "proxy iris-preview POST /v2/models/iris/infer",
      "APPLY services/iris",
      "proxy iris GET /v2/models/iris",
      "proxy iris POST /v2/models/iris/infer",
    ]);
    expect(statuses).toEqual(["in_progress:starting-preview", "success:complete"]);
    // Server-side apply exactly as kubectl does it: field manager, force, the apply content type.
    for (const c of api.calls.filter((c) => c.method === "PATCH")) {
      expect(c.query).toEqual({ fieldManager: "modelship", force: "true" });
      expect(c.status === 200 || c.status === 201).toBe(true);
    }
    const deployment = api.get("Deployment", NS, "iris-blue") as {
      spec: { template: { spec: { containers: Array<{ image: string; args: string[] }> } } };
    };
    expect(deployment.spec.template.spec.containers[0]).toMatchObject({
      image: "ghcr.io/acme/iris-serve:1.0.0",
      args: [
        "serve",
        "--model",
        "/models/model",
        "--name",
        "iris",
        "--model-version",
        "1.0.0",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
        // Pods log predictions by default (deploy.kubernetes.predictionLog), into their volume.
        ...POD_PREDICTION_LOG_ARGS,
      ],
    });
    const state = await readKubernetesState({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      modelName: "iris",
    });
    expect(state).toMatchObject({
      environment: "production",
      active: { colour: "blue", version: "1.0.0", image: "ghcr.io/acme/iris-serve:1.0.0" },
      previous: null,
    });
    expect(blue.inferCount()).toBe(6);
  });

  it("switches blue → green only once every green pod is Ready, then scales blue down after the delay", async () => {
    await baseline();
    api.pods("iris-green", { observeAfterMs: 0, readyAfterReads: 4 });
    const r = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.1.0"),
    });
    expect(r).toMatchObject({
      outcome: "succeeded",
      reason: "promoted",
      phase: "complete",
      colour: "green",
      fromVersion: "1.0.0",
      state: { active: { colour: "green", version: "1.1.0" }, previous: { version: "1.0.0" } },
      warnings: [],
    });
    expect(summarise(api.calls)).toEqual([
      "GET services/iris",
      "APPLY services/iris-preview",
      "GET deployments/iris-blue",
      "APPLY deployments/iris-green",
      "APPLY horizontalpodautoscalers/iris-green",
      "APPLY poddisruptionbudgets/iris",
      "GET deployments/iris-green",
      "proxy iris-preview GET /v2/models/iris",
      "proxy iris-preview POST /v2/models/iris/infer",
      "APPLY services/iris",
      "proxy iris GET /v2/models/iris",
      "proxy iris POST /v2/models/iris/infer",
      'SCALE deployments/iris-blue {"replicas":0}',
    ]);
    // Several reads while green was not ready yet, and the switch strictly after it was.
    const polls = api.calls.filter((c) => c.method === "GET" && c.path.endsWith("/deployments/iris-green"));
    expect(polls.length).toBe(4);
    expect(polls.slice(0, 3).map((c) => c.response)).toEqual(
      Array(3).fill(expect.objectContaining({ status: expect.objectContaining({ readyReplicas: 0 }) })),
    );
    const switchCall = lastCall(isServiceApply("iris"));
    const readyAt = api.readyAt(NS, "iris-green");
    expect(readyAt).not.toBeNull();
    expect(switchCall.at).toBeGreaterThanOrEqual(readyAt as number);
    expect(polls.at(-1)?.response).toMatchObject({ status: { readyReplicas: 2, updatedReplicas: 2 } });
    expect(switchCall.body).toMatchObject({
      spec: { selector: { "modelship.dev/colour": "green", "modelship.dev/model": "iris" } },
    });
    // Smoke traffic went to green only; blue got none during this rollout.
    expect(green.inferCount()).toBe(6);
    expect(blue.inferCount()).toBe(6);
    const scale = lastCall((c) => c.path.endsWith("/iris-blue/scale"));
    expect(scale.contentType).toBe("application/merge-patch+json");
    expect(scale.at - switchCall.at).toBeGreaterThanOrEqual(SCALE_DOWN_DELAY_S * 1000);
    expect(api.get("Deployment", NS, "iris-blue")).toMatchObject({ spec: { replicas: 0 } });
  });

  it("rolls back on a readiness timeout without touching the Service", async () => {
    await baseline();
    api.pods("iris-green", { ready: false });
    const r = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.1.0"),
    });
    expect(r).toMatchObject({ outcome: "rolled-back", reason: "ready-timeout", phase: "rolled-back" });
    expect(r.message).toMatch(/iris-green was not ready within 1 s \(0\/2 ready, 2 updated, 2 in total\)/);
    expect(summarise(api.calls)).toEqual([
      "GET services/iris",
      "APPLY services/iris-preview",
      "GET deployments/iris-blue",
      "APPLY deployments/iris-green",
      "APPLY horizontalpodautoscalers/iris-green",
      "APPLY poddisruptionbudgets/iris",
      "GET deployments/iris-green",
      'SCALE deployments/iris-green {"replicas":0}',
    ]);
    expect(api.get("Service", NS, "iris")).toMatchObject({
      spec: { selector: { "modelship.dev/colour": "blue" } },
    });
    expect(api.get("Deployment", NS, "iris-green")).toMatchObject({ spec: { replicas: 0 } });
    expect(api.get("Deployment", NS, "iris-blue")).toMatchObject({ spec: { replicas: 2 } });
    expect(r.state).toMatchObject({ active: { colour: "blue", version: "1.0.0" } });
  });

  it.each([
    ["every smoke request fails", 0, "smoke-failed"],
    ["one of three fails", 2, "analysis-error-rate"],
  ])(
    "rolls back when the analysis fails (%s) without touching the Service",
    async (_name, failFrom, reason) => {
      await baseline();
      green.script.failInferFrom = failFrom;
      const r = await deployKubernetes({
        kubeConfig,
        config: deployConfig(),
        env: "production",
        model: model("1.1.0"),
      });
      expect(r).toMatchObject({ outcome: "rolled-back", reason, phase: "rolled-back" });
      expect(summarise(api.calls)).toEqual([
        "GET services/iris",
        "APPLY services/iris-preview",
        "GET deployments/iris-blue",
        "APPLY deployments/iris-green",
        "APPLY horizontalpodautoscalers/iris-green",
        "APPLY poddisruptionbudgets/iris",
        "GET deployments/iris-green",
        "proxy iris-preview GET /v2/models/iris",
        "proxy iris-preview POST /v2/models/iris/infer",
        'SCALE deployments/iris-green {"replicas":0}',
      ]);
      expect(api.calls.some(isServiceApply("iris"))).toBe(false);
      expect(r.analysis.preSwitch).toMatchObject({ pass: false, reason });
    },
  );

  it("switches the selector back when the post-switch check fails", async () => {
    await baseline();
    // Passes the three pre-switch requests, fails everything after the switch.
    green.script.failInferFrom = 3;
    const before = api.get("Service", NS, "iris") as { metadata: { annotations: Record<string, string> } };
    const r = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.1.0"),
    });
    expect(r).toMatchObject({ outcome: "rolled-back", reason: "post-switch-failed", phase: "rolled-back" });
    expect(summarise(api.calls)).toEqual([
      "GET services/iris",
      "APPLY services/iris-preview",
      "GET deployments/iris-blue",
      "APPLY deployments/iris-green",
      "APPLY horizontalpodautoscalers/iris-green",
      "APPLY poddisruptionbudgets/iris",
      "GET deployments/iris-green",
      "proxy iris-preview GET /v2/models/iris",
      "proxy iris-preview POST /v2/models/iris/infer",
      "APPLY services/iris",
      "proxy iris GET /v2/models/iris",
      "proxy iris POST /v2/models/iris/infer",
      "APPLY services/iris",
      'SCALE deployments/iris-green {"replicas":0}',
    ]);
    const switches = api.calls.filter(isServiceApply("iris"));
    expect(
      switches.map(
        (c) =>
          (c.body as { spec: { selector: Record<string, string> } }).spec.selector["modelship.dev/colour"],
      ),
    ).toEqual(["green", "blue"]);
    const after = api.get("Service", NS, "iris") as { metadata: { annotations: Record<string, string> } };
    const state = (s: typeof after) =>
      JSON.parse(s.metadata.annotations["modelship.dev/state"] ?? "{}") as object;
    expect({ ...state(after), updatedAt: "" }).toEqual({ ...state(before), updatedAt: "" });
    expect(api.get("Deployment", NS, "iris-blue")).toMatchObject({ spec: { replicas: 2 } });
  });

  it("starts the new colour as large as the autoscaler made the live one", async () => {
    await baseline();
    // The autoscaler grew blue to 5 pods through the scale subresource.
    const grown = await fetch(`${api.url}/apis/apps/v1/namespaces/${NS}/deployments/iris-blue/scale`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ spec: { replicas: 5 } }),
    });
    expect(grown.status).toBe(200);
    const r = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.1.0"),
    });
    expect(r.outcome).toBe("succeeded");
    const applied = lastCall((c) => c.method === "PATCH" && c.path.endsWith("/deployments/iris-green"));
    expect(applied.body).toMatchObject({ spec: { replicas: 5 } });
  });

  it("leaves nothing marked live when a first deploy fails after the switch, and the next one starts over", async () => {
    blue.script.failInferFrom = 3;
    const r = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.0.0"),
    });
    expect(r).toMatchObject({
      outcome: "failed",
      reason: "post-switch-failed",
      phase: "failed",
      state: { active: null },
    });
    expect(summarise(api.calls).slice(-3)).toEqual([
      "proxy iris POST /v2/models/iris/infer",
      'SCALE deployments/iris-blue {"replicas":0}',
      "APPLY services/iris",
    ]);
    expect(
      await readKubernetesState({ kubeConfig, config: deployConfig(), env: "production", modelName: "iris" }),
    ).toMatchObject({
      active: null,
      previous: null,
    });
    blue.script.failInferFrom = Infinity;
    const again = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.0.1"),
    });
    expect(again).toMatchObject({ outcome: "succeeded", colour: "blue", fromVersion: null });
  });

  it("fails the first deploy when the API server refuses the Deployment, and says why", async () => {
    // An older Deployment with another selector: Kubernetes refuses to change a selector.
    api.seed("Deployment", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "iris-blue", namespace: NS },
      spec: {
        selector: { matchLabels: { app: "iris" } },
        template: {
          metadata: { labels: { app: "iris" } },
          spec: { containers: [{ name: "server", image: "iris:old" }] },
        },
      },
    });
    const r = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.0.0"),
    });
    expect(r).toMatchObject({ outcome: "failed", reason: "slot-crashed", phase: "failed" });
    expect(r.message).toMatch(/HTTP 422 .*spec\.selector: field is immutable/);
    expect(api.get("Service", NS, "iris")).toBeUndefined();
  });

  it("cancels through the signal: rolls back before the switch", async () => {
    await baseline();
    api.pods("iris-green", { ready: false });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const r = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.1.0"),
      signal: controller.signal,
    });
    expect(r).toMatchObject({ outcome: "rolled-back", reason: "aborted" });
    expect(summarise(api.calls).at(-1)).toBe('SCALE deployments/iris-green {"replicas":0}');
    expect(api.calls.some(isServiceApply("iris"))).toBe(false);
  });

  it("stops before any change when the API server cannot be reached or refuses to answer", async () => {
    const closed = await startFakeKubeApi();
    await closed.close();
    await expect(
      deployKubernetes({
        kubeConfig: fakeKubeConfig(closed.url, NS),
        config: deployConfig(),
        env: "production",
        model: model("1.0.0"),
      }),
    ).rejects.toMatchObject({ code: "kubernetes-api-error", message: expect.stringMatching(/ECONNREFUSED/) });
    api.authorize([]);
    await expect(
      deployKubernetes({ kubeConfig, config: deployConfig(), env: "production", model: model("1.0.0") }),
    ).rejects.toMatchObject({
      code: "kubernetes-api-error",
      message: expect.stringMatching(/HTTP 403 .*forbidden/),
    });
    expect(api.calls.map((c) => `${c.method} ${c.status}`)).toEqual(["GET 403"]);
  });

  it("refuses a Service that belongs to another environment", async () => {
    await baseline();
    await expect(
      deployKubernetes({ kubeConfig, config: deployConfig(), env: "staging", model: model("1.1.0") }),
    ).rejects.toMatchObject({ code: "environment-mismatch" });
  });
});

describe("rollbackKubernetes", () => {
  it("redeploys the previous version into the idle colour through the same gates", async () => {
    await baseline();
    const up: KubernetesRolloutResult = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.1.0"),
    });
    expect(up.outcome).toBe("succeeded");
    api.calls.length = 0;
    const r = await rollbackKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      modelName: "iris",
    });
    expect(r).toMatchObject({
      kind: "rollback",
      outcome: "succeeded",
      version: "1.0.0",
      fromVersion: "1.1.0",
      colour: "blue",
      state: { active: { colour: "blue", version: "1.0.0" }, previous: { version: "1.1.0" } },
    });
    expect(summarise(api.calls)).toEqual([
      "GET services/iris",
      "APPLY services/iris-preview",
      "GET deployments/iris-green",
      "APPLY deployments/iris-blue",
      "APPLY horizontalpodautoscalers/iris-blue",
      "APPLY poddisruptionbudgets/iris",
      "GET deployments/iris-blue",
      "proxy iris-preview GET /v2/models/iris",
      "proxy iris-preview POST /v2/models/iris/infer",
      "APPLY services/iris",
      "proxy iris GET /v2/models/iris",
      "proxy iris POST /v2/models/iris/infer",
      'SCALE deployments/iris-green {"replicas":0}',
    ]);
    const blueDeployment = lastCall((c) => c.method === "PATCH" && c.path.endsWith("/deployments/iris-blue"));
    expect(blueDeployment.body).toMatchObject({
      spec: { replicas: 2, template: { metadata: { annotations: { "modelship.dev/version": "1.0.0" } } } },
    });
    // A second rollback undoes the first.
    const again = await rollbackKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      modelName: "iris",
    });
    expect(again).toMatchObject({ outcome: "succeeded", version: "1.1.0", colour: "green" });
  });

  it("says so when nothing was live before", async () => {
    await baseline();
    const err = await rollbackKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      modelName: "iris",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect(err).toMatchObject({ code: "no-previous-version" });
  });
});

describe("templates/k8s/rbac.yaml", () => {
  async function roleRules(): Promise<RbacRule[]> {
    const text = await readFile(
      join(import.meta.dirname, "..", "..", "..", "templates", "k8s", "rbac.yaml"),
      "utf8",
    );
    const role = parseAllDocuments(text)
      .map((d) => d.toJS() as { kind?: string; rules?: RbacRule[] } | null)
      .find((d) => d?.kind === "Role");
    return role?.rules ?? [];
  }

  it("grants every call a deploy, a failed deploy and a rollback make", async () => {
    api.authorize(await roleRules());
    await baseline();
    green.script.failInferFrom = 3;
    const failed = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.1.0"),
    });
    expect(failed.reason).toBe("post-switch-failed");
    green.script.failInferFrom = Infinity;
    const up = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.1.0"),
    });
    expect(up.outcome).toBe("succeeded");
    const back = await rollbackKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      modelName: "iris",
    });
    expect(back.outcome).toBe("succeeded");
    expect(api.calls.filter((c) => c.status === 403)).toEqual([]);
  });

  it("is needed: without the service proxy rule the analysis cannot reach the preview", async () => {
    api.authorize((await roleRules()).filter((r) => !r.resources.includes("services/proxy")));
    const r = await deployKubernetes({
      kubeConfig,
      config: deployConfig(),
      env: "production",
      model: model("1.0.0"),
    });
    expect(r).toMatchObject({ outcome: "failed", reason: "smoke-failed" });
    expect(r.message).toMatch(/HTTP 403 .*cannot get resource "services\/proxy"/);
  });
});
