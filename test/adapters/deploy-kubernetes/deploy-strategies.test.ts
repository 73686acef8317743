import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployKubernetes, resumeKubernetes } from "../../../adapters/deploy-kubernetes/deploy-kubernetes.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import type { ConfigInput } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { parseKubernetesState } from "../../../core/kubernetes/kubernetes-state.ts";
import type { FakeKubeApi, FakeKubeCall, RbacRule } from "./fake-kube-api.ts";
import { fakeKubeConfig, startFakeKubeCluster, type FakeKubeCluster } from "./fake-kube-cluster.ts";
import type { FakeV2Pod } from "./fake-v2-pod.ts";

const NS = "ml";

function deployConfig(overrides: ConfigInput["deploy"] = {}) {
  return ConfigSchema.parse({
    model: { name: "iris" },
    deploy: {
      target: "kubernetes",
      environment: "production",
      health: { readyTimeoutSeconds: 2, intervalMs: 20 },
      analysis: { smokeRequests: 3, maxErrorRate: 0, maxLatencyP95Ms: 1000, postSwitchSeconds: 0.1 },
      scaleDownDelaySeconds: 0.1,
      canary: { steps: [25, 100], pauseSeconds: 0.1 },
      ...overrides,
      kubernetes: { namespace: NS, image: "ghcr.io/acme/serve:1", ...overrides.kubernetes },
    },
  }).deploy;
}

let cluster: FakeKubeCluster;
let api: FakeKubeApi;
let green: FakeV2Pod;
let kubeConfig: KubeConfig;

beforeEach(async () => {
  cluster = await startFakeKubeCluster({ blue: "1.0.0", green: "1.1.0" });
  ({ api, green } = cluster);
  kubeConfig = fakeKubeConfig(api.url, NS);
  // 1.0.0 live on blue, through the target itself.
  const r = await deploy("1.0.0", deployConfig());
  expect(r).toMatchObject({ outcome: "succeeded", colour: "blue" });
  api.calls.length = 0;
});

afterEach(() => cluster.close());

function deploy(version: string, config: ReturnType<typeof deployConfig>, phases: string[] = []) {
  return deployKubernetes({
    kubeConfig,
    config,
    env: "production",
    model: { name: "iris", version, modelUri: "/models/model" },
    onTransition: (e) => {
      if (e.accepted && e.from !== e.to) phases.push(e.to);
    },
  });
}

type Svc = { metadata: { annotations: Record<string, string> }; spec: { selector: Record<string, string> } };

/** Every Service iris the target applied, as (selector colour, split in its state annotation). */
function serviceWrites(): Array<{ colour: string | undefined; split: unknown }> {
  return api.calls
    .filter((c: FakeKubeCall) => c.method === "PATCH" && c.path === `/api/v1/namespaces/${NS}/services/iris`)
    .map((c) => {
      const body = c.body as Svc;
      const state = parseKubernetesState(body.metadata.annotations, { namespace: NS, service: "iris" });
      return { colour: body.spec.selector["modelship.dev/colour"], split: state?.split };
    });
}

const replicas = (name: string) =>
  (api.get("Deployment", NS, name) as { spec: { replicas: number } }).spec.replicas;

describe("deployKubernetes with a traffic strategy", () => {
  it("runs a canary as pod counts behind one Service spanning both colours, then switches", async () => {
    const phases: string[] = [];
    const r = await deploy("1.1.0", deployConfig({ strategy: "canary" }), phases);
    expect(r).toMatchObject({ outcome: "succeeded", reason: "promoted", colour: "green" });
    expect(phases).toEqual(expect.arrayContaining(["shifting", "stepping", "switching", "complete"]));
    expect(phases.indexOf("stepping")).toBeLessThan(phases.indexOf("switching"));
    // 2 replicas at 25%: blue keeps 2, green runs 1 (a third of the pods), the Service selects both.
    expect(serviceWrites()).toEqual([
      {
        colour: undefined,
        split: {
          colour: "green",
          version: "1.1.0",
          weight: 25,
          mode: "split",
          effectiveWeight: 33.3,
          strategy: "canary",
          step: 0,
          target: {
            name: "iris",
            version: "1.1.0",
            modelUri: "/models/model",
            image: "ghcr.io/acme/serve:1",
          },
        },
      },
      { colour: "green", split: undefined },
    ]);
    const scales = api.calls
      .filter((c) => c.path.endsWith("/scale"))
      .map(
        (c) =>
          `${/deployments\/([^/]+)/.exec(c.path)?.[1]}=${(c.body as { spec: { replicas: number } }).spec.replicas}`,
      );
    // Green shrinks to its share once the split is recorded, grows back before the switch; blue goes last.
    expect(scales).toEqual(["iris-green=1", "iris-green=2", "iris-blue=0"]);
    expect(replicas("iris-green")).toBe(2);
    expect(green.inferCount()).toBeGreaterThanOrEqual(6);
  });

  it("returns all traffic to the live version when a step fails, at full size", async () => {
    // Green passes the gate before the split (3 requests), then fails at the step.
    green.script.failInferFrom = 3;
    const r = await deploy("1.1.0", deployConfig({ strategy: "canary" }));
    expect(r).toMatchObject({ outcome: "rolled-back", reason: "step-failed", colour: "green" });
    expect(r.message).toMatch(/canary step 1\/2 \(25%\) failed/);
    expect(serviceWrites().at(-1)).toEqual({ colour: "blue", split: undefined });
    expect(replicas("iris-blue")).toBe(2);
    expect(replicas("iris-green")).toBe(0);
    expect(r.state?.active).toMatchObject({ colour: "blue", version: "1.0.0" });
  });

  it.each([
    [
      "an A/B split: weights, and the variant header pins the candidate",
      { strategy: "ab" as const, ab: { weight: 20 } },
      [
        {
          name: "variant-header",
          match: [{ headers: { "x-modelship-variant": { exact: "candidate" } } }],
          route: [{ destination: { host: "iris-preview", port: { number: 8080 } } }],
        },
        {
          name: "primary",
          route: [
            { destination: { host: "iris", port: { number: 8080 } }, weight: 80 },
            { destination: { host: "iris-preview", port: { number: 8080 } }, weight: 20 },
          ],
        },
      ],
      { weight: 20, mode: "split" },
    ],
    [
      "a shadow: answers from blue, every request mirrored to green",
      { strategy: "shadow" as const },
      [
        {
          name: "primary",
          route: [
            { destination: { host: "iris", port: { number: 8080 } }, weight: 100 },
            { destination: { host: "iris-preview", port: { number: 8080 } }, weight: 0 },
          ],
          mirror: { host: "iris-preview", port: { number: 8080 } },
          mirrorPercentage: { value: 100 },
        },
      ],
      { weight: 100, mode: "shadow" },
    ],
  ])("with Istio, holds %s until promoted", async (_name, deployOverrides, http, split) => {
    const phases: string[] = [];
    const r = await deploy(
      "1.1.0",
      deployConfig({ ...deployOverrides, kubernetes: { trafficRouting: "istio" } }),
      phases,
    );
    expect(r).toMatchObject({ outcome: "holding", reason: "holding" });
    expect(phases.at(-1)).toBe("holding");
    expect((api.get("VirtualService", NS, "iris") as { spec: { http: unknown } }).spec.http).toEqual(http);
    // The Service keeps selecting blue; green runs at full size behind the preview Service.
    expect(serviceWrites()).toEqual([
      {
        colour: "blue",
        split: expect.objectContaining({
          colour: "green",
          version: "1.1.0",
          effectiveWeight: split.weight,
          step: 0,
          ...split,
        }),
      },
    ]);
    expect(replicas("iris-blue")).toBe(2);
    expect(replicas("iris-green")).toBe(2);
    expect(r.state?.split).toMatchObject(split);
  });

  it.each([
    ["a canary on pod counts", { strategy: "canary" as const }, "succeeded"],
    [
      "an A/B through Istio",
      { strategy: "ab" as const, kubernetes: { trafficRouting: "istio" as const } },
      "holding",
    ],
  ])("needs nothing beyond templates/k8s/rbac.yaml for %s", async (_name, overrides, outcome) => {
    const text = await readFile(
      join(import.meta.dirname, "..", "..", "..", "templates", "k8s", "rbac.yaml"),
      "utf8",
    );
    const role = parseAllDocuments(text)
      .map((d) => d.toJS() as { kind?: string; rules?: RbacRule[] } | null)
      .find((d) => d?.kind === "Role");
    api.authorize(role?.rules ?? []);
    const r = await deploy("1.1.0", deployConfig(overrides));
    expect(api.calls.filter((c) => c.status === 403)).toEqual([]);
    expect(r.outcome).toBe(outcome);
  });

  const resume = (action: "promote" | "abort", config: ReturnType<typeof deployConfig>) =>
    resumeKubernetes({ kubeConfig, config, env: "production", modelName: "iris", action });

  const vsRoutes = () =>
    (
      api.get("VirtualService", NS, "iris") as {
        spec: { http: Array<{ route: Array<{ weight?: number }>; mirror?: unknown }> };
      }
    ).spec.http;

  it.each([
    ["promote", "succeeded", "promoted", "green", "1.1.0", "iris-blue"],
    ["abort", "rolled-back", "aborted", "blue", "1.0.0", "iris-green"],
  ] as const)("%s ends a held A/B through Istio", async (action, outcome, reason, live, version, stopped) => {
    const config = deployConfig({
      strategy: "ab",
      ab: { weight: 20 },
      kubernetes: { trafficRouting: "istio" },
    });
    expect((await deploy("1.1.0", config)).outcome).toBe("holding");
    const r = await resume(action, config);
    expect(r).toMatchObject({ outcome, reason });
    expect(r.state?.active).toMatchObject({ colour: live, version });
    expect(r.state?.split).toBeUndefined();
    expect(serviceWrites().at(-1)).toEqual({ colour: live, split: undefined });
    // The VirtualService sends everything to the Service again, which selects the live colour.
    expect(vsRoutes().at(-1)).toMatchObject({ route: [{ weight: 100 }, { weight: 0 }] });
    expect(vsRoutes().at(-1)?.mirror).toBeUndefined();
    expect(replicas(stopped)).toBe(0);
    expect(replicas(`iris-${live}`)).toBe(2);
    await expect(resume(action, config)).rejects.toMatchObject({ code: "nothing-to-resume" });
  });

  it("promotes a canary step that waits for a person, growing the new version back to full size first", async () => {
    const config = deployConfig({ strategy: "canary", canary: { steps: [25, 50, 100], pauseSeconds: null } });
    const held = await deploy("1.1.0", config);
    expect(held).toMatchObject({ outcome: "holding", message: expect.stringMatching(/takes 25%/) });
    expect(replicas("iris-green")).toBe(1);
    const r = await resume("promote", config);
    expect(r).toMatchObject({ outcome: "succeeded", reason: "promoted", colour: "green" });
    expect(replicas("iris-green")).toBe(2);
    expect(replicas("iris-blue")).toBe(0);
    expect(r.state?.previous).toMatchObject({ version: "1.0.0" });
  });

  it("refuses a shadow without Istio before touching the cluster", async () => {
    const err = await deploy("1.1.0", deployConfig({ strategy: "shadow" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe("config-invalid");
    expect(api.calls.filter((c) => c.method !== "GET")).toEqual([]);
  });
});
