import { describe, expect, it } from "vitest";
import { buildManifests } from "../../../core/kubernetes/build-manifests.ts";
import type { KubernetesObject } from "../../../core/kubernetes/build-manifests.ts";
import { splitReplicas } from "../../../core/kubernetes/split-replicas.ts";
import type { BuildContext } from "../../../core/kubernetes/kubernetes-inputs.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import type { ConfigInput } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { validateManifest } from "../../templates/k8s-validate-object.ts";

/** Rendered manifests are free-form JSON the assertions walk into; the schemas check their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const model = { name: "iris", version: "1.2.0", modelUri: "/models/model" };

function render(deploy: ConfigInput["deploy"]) {
  const config = ConfigSchema.parse({ deploy });
  const ctx: BuildContext = { kubernetes: config.deploy.kubernetes, environment: "production" };
  const objects = buildManifests(ctx, { model, deploy: config.deploy });
  const json = objects.map((o) => JSON.parse(JSON.stringify(o)) as Obj);
  // Each object also passes the official schema as the plain YAML a user would apply.
  for (const o of json) validateManifest(o);
  return { objects, json, find: (kind: string, name?: string) => find(json, kind, name) };
}

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, Loose> };

function find(json: Obj[], kind: string, name?: string): Obj {
  const o = json.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind} ${name ?? ""} in ${json.map((x) => x.kind).join(", ")}`);
  return o;
}

const kinds = (objects: KubernetesObject[]) => objects.map((o) => `${o.kind} ${o.metadata?.name ?? ""}`);
const argo = (more: object = {}) => ({ argoRollouts: true, ...more });
const istio = { trafficRouting: "istio" as const };

describe("Argo Rollouts strategies", () => {
  it.each([
    [
      "canary, 60 s pauses",
      { strategy: "canary" as const },
      [{ setWeight: 10 }, { pause: { duration: "60s" } }, { setWeight: 50 }, { pause: { duration: "60s" } }],
      1,
    ],
    [
      "canary, pauses that wait for promote",
      { strategy: "canary" as const, canary: { steps: [20, 40, 100], pauseSeconds: null } },
      [{ setWeight: 20 }, { pause: {} }, { setWeight: 40 }, { pause: {} }],
      1,
    ],
    [
      "A/B without Istio: a fixed weight held until promoted",
      { strategy: "ab" as const, ab: { weight: 20 } },
      [{ setWeight: 20 }, { pause: {} }],
      1,
    ],
  ])("%s", (_name, deploy, steps, startingStep) => {
    const r = render({ ...deploy, kubernetes: argo() });
    expect(kinds(r.objects)).toEqual([
      "Rollout iris",
      "AnalysisTemplate iris-canary",
      "Service iris",
      "Service iris-canary",
      "HorizontalPodAutoscaler iris",
      "PodDisruptionBudget iris",
    ]);
    const canary = r.find("Rollout").spec["strategy"].canary;
    expect(canary.steps).toEqual(steps);
    expect(canary).toMatchObject({ canaryService: "iris-canary", stableService: "iris" });
    expect(canary.trafficRouting).toBeUndefined();
    expect(canary.analysis).toEqual({
      templates: [{ templateName: "iris-canary" }],
      startingStep,
      args: [
        { name: "service", value: "iris-canary" },
        { name: "namespace", value: "default" },
        { name: "port", value: "8080" },
        { name: "model", value: "iris" },
        { name: "version", value: "1.2.0" },
      ],
    });
  });

  it.each([
    [
      "canary",
      { strategy: "canary" as const, canary: { steps: [30], pauseSeconds: 5 } },
      [{ setWeight: 30 }, { pause: { duration: "5s" } }],
      [],
      1,
    ],
    [
      "A/B: the header route pins x-modelship-variant: candidate",
      { strategy: "ab" as const, ab: { weight: 20 } },
      [
        {
          setHeaderRoute: {
            name: "variant-header",
            match: [{ headerName: "x-modelship-variant", headerValue: { exact: "candidate" } }],
          },
        },
        { setWeight: 20 },
        { pause: {} },
      ],
      [{ name: "variant-header" }],
      2,
    ],
    [
      "shadow: the candidate at full size, no weight, 25% mirrored",
      { strategy: "shadow" as const, shadow: { percent: 25 } },
      [
        { setCanaryScale: { replicas: 2 } },
        {
          setMirrorRoute: {
            name: "shadow",
            percentage: 25,
            match: [{ method: { exact: "POST" }, path: { prefix: "/v2/models/" } }],
          },
        },
        { pause: {} },
      ],
      [{ name: "shadow" }],
      2,
    ],
  ])("with Istio, %s", (_name, deploy, steps, managedRoutes, startingStep) => {
    const r = render({ ...deploy, kubernetes: argo(istio) });
    expect(kinds(r.objects)).toContain("VirtualService iris");
    const canary = r.find("Rollout").spec["strategy"].canary;
    expect(canary.steps).toEqual(steps);
    expect(canary.trafficRouting).toEqual({
      istio: { virtualService: { name: "iris", routes: ["primary"] } },
      ...(managedRoutes.length > 0 ? { managedRoutes } : {}),
    });
    expect(canary.analysis.startingStep).toBe(startingStep);
    expect(r.find("VirtualService").spec).toEqual({
      hosts: ["iris"],
      http: [
        {
          name: "primary",
          route: [
            { destination: { host: "iris", port: { number: 8080 } }, weight: 100 },
            { destination: { host: "iris-canary", port: { number: 8080 } }, weight: 0 },
          ],
        },
      ],
    });
  });

  it("analyses every step with real inferences and the servers' own Prometheus metrics", () => {
    const r = render({
      strategy: "canary",
      analysis: { smokeRequests: 7, maxErrorRate: 0.02, maxLatencyP95Ms: 400, maxLatencyP99Ms: 900 },
      kubernetes: argo({ prometheusUrl: "http://prom.monitoring:9090" }),
    });
    const metrics = r.find("AnalysisTemplate").spec["metrics"] as Array<Record<string, Loose>>;
    expect(metrics.map((m) => m["name"])).toEqual(["inference", "error-rate", "latency-p95", "latency-p99"]);
    const job = metrics[0]?.["provider"].job.spec.template.spec.containers[0];
    expect(job.args).toEqual([
      "probe",
      "--url",
      "http://{{args.service}}.{{args.namespace}}.svc.cluster.local:{{args.port}}",
      "--model",
      "{{args.model}}",
      "--version",
      "{{args.version}}",
      "--requests",
      "7",
      "--max-error-rate",
      "0.02",
      "--max-latency-p95-ms",
      "400",
      "--max-latency-p99-ms",
      "900",
    ]);
    expect(metrics[1]).toMatchObject({
      successCondition: "len(result) == 0 || result[0] <= 0.02",
      provider: { prometheus: { address: "http://prom.monitoring:9090" } },
    });
    expect(metrics[1]?.["provider"].prometheus.query).toContain(
      'modelship_requests_total{model="{{args.model}}",version="{{args.version}}",route="infer",code=~"5.."}',
    );
    expect(metrics[2]).toMatchObject({ successCondition: "len(result) == 0 || result[0] <= 0.4" });
    expect(metrics[2]?.["provider"].prometheus.query).toMatch(
      /^histogram_quantile\(0\.95, .*modelship_request_duration_seconds_bucket/,
    );
    expect(metrics[3]).toMatchObject({ successCondition: "len(result) == 0 || result[0] <= 0.9" });
    expect(metrics[3]?.["provider"].prometheus.query).toMatch(
      /^histogram_quantile\(0\.99, .*modelship_request_duration_seconds_bucket/,
    );
  });

  it("leaves the analysis out when smokeRequests is 0", () => {
    const r = render({ strategy: "canary", analysis: { smokeRequests: 0 }, kubernetes: argo() });
    expect(kinds(r.objects)).not.toContain("AnalysisTemplate iris-canary");
    expect(r.find("Rollout").spec["strategy"].canary.analysis).toBeUndefined();
  });

  it.each([[argo()], [{}]])("refuses shadow without Istio (%j)", (kubernetes) => {
    const err = (() => {
      try {
        render({ strategy: "shadow", kubernetes });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe("config-invalid");
    expect((err as ModelshipError).message).toMatch(/trafficRouting: istio/);
  });
});

describe("plain Kubernetes strategies (no Argo Rollouts)", () => {
  it.each([
    ["canary: the first step's share of pods behind one Service", { strategy: "canary" as const }, 2, 1],
    ["A/B at 50%: as many candidate pods as stable", { strategy: "ab" as const, ab: { weight: 50 } }, 2, 2],
    ["A/B at 80%: the stable side shrinks", { strategy: "ab" as const, ab: { weight: 80 } }, 1, 2],
  ])("%s", (_name, deploy, stable, candidate) => {
    const r = render(deploy);
    expect(r.find("Deployment", "iris-blue").spec["replicas"]).toBe(stable);
    expect(r.find("Deployment", "iris-green").spec["replicas"]).toBe(candidate);
    expect(r.find("Service", "iris").spec["selector"]).toEqual({
      "app.kubernetes.io/name": "modelship",
      "modelship.dev/model": "iris",
    });
    expect(kinds(r.objects).some((k) => k.startsWith("VirtualService"))).toBe(false);
  });

  it.each([
    [
      "canary: exact weights between the live and the preview Service",
      { strategy: "canary" as const, canary: { steps: [10, 100] } },
      [
        {
          name: "primary",
          route: [
            ["iris", 90],
            ["iris-preview", 10],
          ],
        },
      ],
    ],
    [
      "A/B: weights, and the variant header pins the candidate",
      { strategy: "ab" as const, ab: { weight: 30 } },
      [
        {
          name: "variant-header",
          match: [{ headers: { "x-modelship-variant": { exact: "candidate" } } }],
          route: [["iris-preview", undefined]],
        },
        {
          name: "primary",
          route: [
            ["iris", 70],
            ["iris-preview", 30],
          ],
        },
      ],
    ],
    [
      "shadow: every answer from live, a share mirrored to preview",
      { strategy: "shadow" as const, shadow: { percent: 40 } },
      [
        {
          name: "primary",
          route: [
            ["iris", 100],
            ["iris-preview", 0],
          ],
          mirror: { host: "iris-preview", port: { number: 8080 } },
          mirrorPercentage: { value: 40 },
        },
      ],
    ],
  ])("with Istio, %s", (_name, deploy, routes) => {
    const r = render({
      ...deploy,
      kubernetes: { ...istio, istio: { gateways: ["ml/public"], hosts: ["iris.example.com"] } },
    });
    expect(r.find("Service", "iris").spec["selector"]).toMatchObject({ "modelship.dev/colour": "blue" });
    expect(r.find("Deployment", "iris-green").spec["replicas"]).toBe(2);
    const vs = r.find("VirtualService").spec;
    expect(vs["hosts"]).toEqual(["iris", "iris.example.com"]);
    expect(vs["gateways"]).toEqual(["ml/public", "mesh"]);
    expect(vs["http"]).toEqual(
      routes.map(({ route, ...rest }) => ({
        ...rest,
        route: route.map(([host, weight]) => ({
          destination: { host, port: { number: 8080 } },
          ...(weight === undefined ? {} : { weight }),
        })),
      })),
    );
  });
});

describe("splitReplicas", () => {
  it.each([
    [2, 0, { stable: 2, candidate: 0, effectiveWeight: 0 }],
    [2, 10, { stable: 2, candidate: 1, effectiveWeight: 33.3 }],
    [10, 10, { stable: 10, candidate: 2, effectiveWeight: 16.7 }],
    [4, 50, { stable: 4, candidate: 4, effectiveWeight: 50 }],
    [4, 75, { stable: 2, candidate: 4, effectiveWeight: 66.7 }],
    [3, 99, { stable: 1, candidate: 3, effectiveWeight: 75 }],
    [3, 100, { stable: 0, candidate: 3, effectiveWeight: 100 }],
    [0, 50, { stable: 0, candidate: 0, effectiveWeight: 0 }],
  ])("%i replicas at %i%%", (total, weight, want) => {
    const got = splitReplicas(total, weight);
    expect(got).toEqual(want);
    // Capacity never drops below what one version alone would run.
    expect(Math.max(got.stable, got.candidate)).toBe(total);
  });
});
