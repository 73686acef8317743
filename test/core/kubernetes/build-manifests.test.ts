import { Deployment } from "kubernetes-models/apps/v1";
import { describe, expect, it } from "vitest";
import { buildArgoRollout } from "../../../core/kubernetes/build-argo-rollout.ts";
import { buildAutoscaler } from "../../../core/kubernetes/build-autoscaler.ts";
import { buildDeployment } from "../../../core/kubernetes/build-deployment.ts";
import { buildManifests } from "../../../core/kubernetes/build-manifests.ts";
import { buildService } from "../../../core/kubernetes/build-services.ts";
import type { BuildContext } from "../../../core/kubernetes/kubernetes-inputs.ts";
import { parseKubernetesState, renderKubernetesState } from "../../../core/kubernetes/kubernetes-state.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import type { ConfigInput } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";

function setup(deploy: ConfigInput["deploy"] = {}) {
  const config = ConfigSchema.parse({ deploy });
  const ctx: BuildContext = { kubernetes: config.deploy.kubernetes, environment: "production" };
  return { ctx, deploy: config.deploy };
}
const model = { name: "iris", version: "1.2.0", modelUri: "/models/model" };

type Container = {
  image: string;
  args: string[];
  ports: Array<{ containerPort: number }>;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  readinessProbe: unknown;
  livenessProbe: unknown;
};
function container(d: Deployment): Container {
  return (d.toJSON() as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec
    .containers[0] as Container;
}

describe("buildDeployment", () => {
  it.each([
    ["defaults", {}, { replicas: 2, port: 8080, cpu: "500m", memory: "512Mi", gpu: undefined }],
    [
      "one GPU, more memory, another port",
      { replicas: 3, port: 9000, resources: { cpu: "2", memory: "8Gi", gpu: 1 } },
      { replicas: 3, port: 9000, cpu: "2", memory: "8Gi", gpu: "1" },
    ],
  ])("%s", (_name, kubernetes, want) => {
    const { ctx } = setup({ kubernetes });
    const d = buildDeployment(ctx, { model, colour: "green" });
    const json = d.toJSON() as {
      metadata: { name: string; namespace: string };
      spec: {
        replicas: number;
        selector: unknown;
        template: { metadata: { labels: Record<string, string> }; spec: { tolerations?: unknown } };
      };
    };
    expect(json.metadata).toMatchObject({ name: "iris-green", namespace: "default" });
    expect(json.spec.replicas).toBe(want.replicas);
    expect(json.spec.selector).toEqual({
      matchLabels: {
        "app.kubernetes.io/name": "modelship",
        "modelship.dev/model": "iris",
        "modelship.dev/colour": "green",
      },
    });
    expect(json.spec.template.metadata.labels).toMatchObject({
      "modelship.dev/version": "1.2.0",
      "modelship.dev/environment": "production",
    });
    const c = container(d);
    // The prediction log's flags follow (test/core/kubernetes/prediction-log-volume.test.ts).
    expect(c.args.slice(0, 11)).toEqual([
      "serve",
      "--model",
      "/models/model",
      "--name",
      "iris",
      "--model-version",
      "1.2.0",
      "--host",
      "0.0.0.0",
      "--port",
      String(want.port),
    ]);
    expect(c.ports[0]?.containerPort).toBe(want.port);
    expect(c.resources.requests).toMatchObject({ cpu: want.cpu, memory: want.memory });
    expect(c.resources.requests["nvidia.com/gpu"]).toBe(want.gpu);
    expect(c.resources.limits["nvidia.com/gpu"]).toBe(want.gpu);
    expect(json.spec.template.spec.tolerations === undefined).toBe(want.gpu === undefined);
    const probe = {
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    };
    expect(c.readinessProbe).toEqual({ httpGet: { path: "/v2/health/ready", port: "http" }, ...probe });
    expect(c.livenessProbe).toEqual({ httpGet: { path: "/v2/health/live", port: "http" }, ...probe });
    // The plain JSON is still valid against the official schema.
    expect(() => new Deployment(json as never).validate()).not.toThrow();
  });

  const fetch = {
    source: {
      registry: "github" as const,
      repository: "acme/iris",
      apiUrl: "https://api.github.com",
      tagFormat: "model/{name}/v{version}",
    },
    artifacts: [{ path: "model/model.onnx", sha256: "a".repeat(64), bytes: 10 }],
  };
  it.each([
    ["the one image, fetched version", null, true, undefined, "ghcr.io/acme/serve:1"],
    ["the one image, no fetch and no per-version template", null, false, undefined, "ghcr.io/acme/serve:1"],
    [
      "the one image even with a per-version template, when the version is fetched",
      "ghcr.io/acme/{model}:{version}",
      true,
      undefined,
      "ghcr.io/acme/serve:1",
    ],
    [
      "the opt-in per-version image, when nothing fetches the version",
      "ghcr.io/acme/{model}:{version}",
      false,
      undefined,
      "ghcr.io/acme/iris:1.2.0",
    ],
    [
      "an image the version ran with",
      "ghcr.io/acme/{model}:{version}",
      false,
      "registry.local/iris@sha256:abc",
      "registry.local/iris@sha256:abc",
    ],
  ])("image: %s", (_name, versionImage, fetched, override, want) => {
    const { ctx } = setup({ kubernetes: { image: "ghcr.io/acme/serve:1", versionImage } });
    const d = buildDeployment(ctx, {
      model: { ...model, ...(fetched ? { fetch } : {}), ...(override ? { image: override } : {}) },
      colour: "blue",
    });
    expect(container(d).image).toBe(want);
  });

  it.each([
    [{ image: "ghcr.io/acme/{model}:{version}" }, /deploy\.kubernetes\.versionImage/],
    [{ versionImage: "ghcr.io/acme/iris:latest" }, /must contain \{version\}/],
  ])("refuses %j in the config", (kubernetes, message) => {
    const parsed = ConfigSchema.safeParse({ deploy: { kubernetes } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(message);
  });

  it("refuses a quantity Kubernetes cannot read, naming the key", () => {
    const { ctx } = setup({ kubernetes: { resources: { cpu: "half a core" } } });
    const err = (() => {
      try {
        buildDeployment(ctx, { model, colour: "blue" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).message).toMatch(/deploy.kubernetes.resources.cpu is 'half a core'/);
  });
});

describe("buildService", () => {
  it("selects the live colour and carries the state annotation", () => {
    const { ctx } = setup({ kubernetes: { namespace: "ml", port: 9000 } });
    const s = buildService(ctx, { modelName: "iris", colour: "blue", state: "{}" });
    expect(s.metadata).toMatchObject({
      name: "iris",
      namespace: "ml",
      annotations: { "modelship.dev/state": "{}" },
    });
    expect(s.spec?.selector?.["modelship.dev/colour"]).toBe("blue");
    expect(s.spec?.ports).toEqual([{ name: "http", port: 9000, targetPort: "http", protocol: "TCP" }]);
  });
});

describe("buildAutoscaler", () => {
  it.each([
    [
      "a colour's Deployment",
      "green" as const,
      { kind: "Deployment", name: "iris-green", apiVersion: "apps/v1" },
    ],
    ["the Argo Rollout", null, { kind: "Rollout", name: "iris", apiVersion: "argoproj.io/v1alpha1" }],
  ])("scales %s on CPU by default, down after 300 s", (_name, colour, target) => {
    const { ctx } = setup({ kubernetes: { autoscaling: { minReplicas: 3, maxReplicas: 12 } } });
    const h = buildAutoscaler(ctx, { modelName: "iris", colour });
    expect(h.apiVersion).toBe("autoscaling/v2");
    expect(h.spec).toMatchObject({ scaleTargetRef: target, minReplicas: 3, maxReplicas: 12 });
    expect(h.spec?.metrics).toEqual([
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
      },
    ]);
    expect(h.spec?.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(300);
    expect(h.spec?.behavior?.scaleUp?.stabilizationWindowSeconds).toBe(0);
  });

  it("scales on requests per second per pod when asked (prometheus-adapter)", () => {
    const { ctx } = setup({
      kubernetes: { autoscaling: { metric: "requests-per-second", targetRequestsPerSecond: 50 } },
    });
    const h = buildAutoscaler(ctx, { modelName: "iris", colour: "blue" });
    expect(h.spec?.metrics).toEqual([
      {
        type: "Pods",
        pods: {
          metric: { name: "modelship_requests_per_second" },
          target: { type: "AverageValue", averageValue: "50" },
        },
      },
    ]);
    expect(h.spec?.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(300);
    expect(h.spec?.behavior?.scaleUp?.stabilizationWindowSeconds).toBe(0);
  });
});

describe("buildManifests", () => {
  it.each([
    [
      "two Deployments (default)",
      {},
      [
        "Deployment iris-blue",
        "Deployment iris-green",
        "Service iris",
        "Service iris-preview",
        "HorizontalPodAutoscaler iris-blue",
        "HorizontalPodAutoscaler iris-green",
        "PodDisruptionBudget iris",
      ],
    ],
    [
      "no autoscaling, no disruption budget",
      { autoscaling: { enabled: false }, minAvailable: 0 },
      ["Deployment iris-blue", "Deployment iris-green", "Service iris", "Service iris-preview"],
    ],
    [
      "Argo Rollouts",
      { argoRollouts: true },
      [
        "Rollout iris",
        "AnalysisTemplate iris-pre",
        "AnalysisTemplate iris-post",
        "Service iris",
        "Service iris-preview",
        "HorizontalPodAutoscaler iris",
        "PodDisruptionBudget iris",
      ],
    ],
  ])("%s", (_name, kubernetes, kinds) => {
    const { ctx, deploy } = setup({ kubernetes });
    const objects = buildManifests(ctx, { model, deploy });
    expect(objects.map((o) => `${o.kind} ${o.metadata?.name}`)).toEqual(kinds);
  });

  it("scales the idle colour to 0 and points both Services the right way", () => {
    const { ctx, deploy } = setup();
    type Plain = {
      kind: string;
      metadata: { name: string };
      spec: { replicas?: number; selector: Record<string, string> };
    };
    const objects = buildManifests(ctx, { model, deploy, colour: "green" }).map((o) => o.toJSON() as Plain);
    const byName = (kind: string, name: string) =>
      objects.find((o) => o.kind === kind && o.metadata.name === name);
    expect(byName("Deployment", "iris-green")?.spec.replicas).toBe(2);
    expect(byName("Deployment", "iris-blue")?.spec.replicas).toBe(0);
    expect(byName("Service", "iris")?.spec.selector["modelship.dev/colour"]).toBe("green");
    expect(byName("Service", "iris-preview")?.spec.selector["modelship.dev/colour"]).toBe("blue");
  });
});

describe("buildArgoRollout", () => {
  it.each([
    ["defaults", {}, { delay: 30, pre: true, post: true, failureLimit: 0, count: 20 }],
    [
      "fractional delay rounds up",
      { scaleDownDelaySeconds: 2.5 },
      { delay: 3, pre: true, post: true, failureLimit: 0, count: 20 },
    ],
    [
      "an error budget of 10 %",
      { analysis: { smokeRequests: 30, maxErrorRate: 0.1 } },
      { delay: 30, pre: true, post: true, failureLimit: 3, count: 30 },
    ],
    [
      "no pre-switch smoke",
      { analysis: { smokeRequests: 0 } },
      { delay: 30, pre: false, post: true, failureLimit: 0, count: 1 },
    ],
    [
      "no post-switch check",
      { analysis: { postSwitchSeconds: 0 } },
      { delay: 30, pre: true, post: false, failureLimit: 0, count: 20 },
    ],
  ])("%s", (_name, deployInput, want) => {
    const { ctx, deploy } = setup({ ...deployInput, kubernetes: { argoRollouts: true } });
    const { rollout, analysisTemplates } = buildArgoRollout(ctx, { model, deploy });
    const bg = rollout.spec.strategy?.blueGreen ?? { activeService: "" };
    expect(bg).toMatchObject({
      activeService: "iris",
      previewService: "iris-preview",
      autoPromotionEnabled: true,
      scaleDownDelaySeconds: want.delay,
    });
    expect(bg.prePromotionAnalysis !== undefined).toBe(want.pre);
    expect(bg.postPromotionAnalysis !== undefined).toBe(want.post);
    if (want.pre) expect(bg.prePromotionAnalysis?.templates).toEqual([{ templateName: "iris-pre" }]);
    const metric = analysisTemplates[0]?.spec.metrics[0];
    expect(metric).toMatchObject({
      count: want.count,
      failureLimit: want.failureLimit,
      successCondition: "result == true",
    });
    expect(metric?.provider.web?.url).toBe(
      "http://{{args.service}}.{{args.namespace}}.svc.cluster.local:{{args.port}}/v2/models/{{args.model}}/ready",
    );
  });
});

describe("kubernetes state annotation", () => {
  const where = { namespace: "ml", service: "iris" };
  it("round-trips, and a missing annotation means nothing is live", () => {
    const state = {
      schemaVersion: 1 as const,
      environment: "production",
      updatedAt: "2026-11-27T00:00:00.000Z",
      active: {
        name: "iris",
        version: "1.2.0",
        modelUri: "/models/model",
        image: "img:1.2.0",
        colour: "green" as const,
        since: "2026-11-27T00:00:00.000Z",
      },
      previous: { name: "iris", version: "1.1.0", modelUri: "/models/model", image: "img:1.1.0" },
    };
    expect(parseKubernetesState({ "modelship.dev/state": renderKubernetesState(state) }, where)).toEqual(
      state,
    );
    expect(parseKubernetesState({}, where)).toBeNull();
    expect(parseKubernetesState(undefined, where)).toBeNull();
  });

  it.each([
    ["not JSON", "{"],
    ["wrong shape", '{"schemaVersion":1,"active":"green"}'],
  ])("refuses %s with a fix", (_name, text) => {
    expect(() => parseKubernetesState({ "modelship.dev/state": text }, where)).toThrow(
      /kubectl annotate service iris modelship.dev\/state- -n ml/,
    );
  });
});
