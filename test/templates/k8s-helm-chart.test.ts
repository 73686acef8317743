import { cp, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { buildManifests } from "../../core/kubernetes/build-manifests.ts";
import { ConfigSchema } from "../../core/config/schema.ts";
import { fetchedModelUri, type ModelSource } from "../../core/kubernetes/model-source.ts";
import type { ConfigInput } from "../../core/config/schema.ts";
import { runKubeTool } from "../support/kube-tools.ts";
import { validateManifest } from "./k8s-validate-object.ts";

/** Rendered manifests are free-form JSON the assertions walk into; the schemas check their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const CHART = join(import.meta.dirname, "..", "..", "templates", "helm", "modelship");
const PACKAGE = join(import.meta.dirname, "..", "..", "package.json");

type Values = {
  model: { name: string; version: string; artifacts: Array<{ path: string; sha256: string; bytes: number }> };
  registry: { kind: "github" | "git"; location: string; apiUrl: string; tagFormat: string };
  batching: { maxBatchRows: number; maxQueueDelayUs: number; preferredBatchRows: number[] };
  predictionLog: {
    enabled: boolean;
    sampleRate: number;
    maxLogMB: number;
    rotateMB: number;
    maxRecordKB: number;
    persistentVolumeClaim: string;
  };
  environment: string;
  image: { repository: string; tag: string; pullPolicy: string };
  strategy: "blue-green" | "canary" | "ab" | "shadow";
  canary: { steps: number[]; pauseSeconds: number | null };
  ab: { weight: number };
  shadow: { percent: number };
  trafficRouting: "service" | "istio";
  istio: { gateways: string[]; hosts: string[] };
  activeColour: "blue" | "green";
  replicas: number;
  port: number;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  autoscaling: {
    enabled: boolean;
    minReplicas: number;
    maxReplicas: number;
    metric: "cpu" | "requests-per-second";
    targetCPUUtilizationPercentage: number;
    targetRequestsPerSecond: number;
  };
  minAvailable: number;
  argoRollouts: {
    enabled: boolean;
    scaleDownDelaySeconds: number;
    smokeRequests: number;
    maxErrorRate: number;
    maxLatencyP95Ms: number;
    maxLatencyP99Ms: number;
    prometheusUrl: string;
  };
  [key: string]: unknown;
};

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, Loose>;
  [key: string]: unknown;
};

// Read at load time: the test tables below are built from the chart's own defaults.
const defaults = parse(await readFile(join(CHART, "values.yaml"), "utf8")) as Values;
const meta = parse(await readFile(join(CHART, "Chart.yaml"), "utf8")) as Record<string, string>;
const appVersion = String(meta["appVersion"]);
const chartVersion = String(meta["version"]);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "modelship-helm-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let files = 0;
async function valuesFile(values: unknown): Promise<string> {
  const path = join(dir, `values-${files++}.yaml`);
  await writeFile(path, stringify(values));
  return path;
}

/** `helm template` with a values file; the parsed documents, or Helm's error. */
async function template(values: unknown, chart = CHART, extra: string[] = []) {
  const r = await runKubeTool("helm", [
    "template",
    "iris",
    chart,
    "-n",
    "ml",
    "-f",
    await valuesFile(values),
    ...extra,
  ]);
  const docs =
    r.code === 0
      ? parseAllDocuments(r.stdout)
          .map((d) => d.toJS() as Doc | null)
          .filter((d): d is Doc => d !== null)
      : [];
  return { ...r, docs };
}

/** The same release through the builders the kubernetes target uses. */
function fromBuilders(v: Values): Doc[] {
  const a = v.autoscaling;
  const r = v.argoRollouts;
  const { enabled, persistentVolumeClaim, ...monitoring } = v.predictionLog;
  const {
    deploy,
    serve,
    monitoring: logged,
  } = ConfigSchema.parse({
    serve: { batching: v.batching },
    monitoring,
    deploy: {
      environment: v.environment,
      strategy: v.strategy,
      canary: v.canary,
      ab: { weight: v.ab.weight },
      shadow: v.shadow,
      scaleDownDelaySeconds: r.scaleDownDelaySeconds,
      analysis: {
        smokeRequests: r.smokeRequests,
        maxErrorRate: r.maxErrorRate,
        maxLatencyP95Ms: r.maxLatencyP95Ms,
        maxLatencyP99Ms: r.maxLatencyP99Ms,
      },
      kubernetes: {
        namespace: "ml",
        image: `${v.image.repository}:${v.image.tag || appVersion}`,
        replicas: v.replicas,
        port: v.port,
        resources: { cpu: v.resources.requests["cpu"] ?? "", memory: v.resources.requests["memory"] ?? "" },
        autoscaling: {
          enabled: a.enabled,
          minReplicas: a.minReplicas,
          maxReplicas: a.maxReplicas,
          metric: a.metric,
          targetCpuUtilization: a.targetCPUUtilizationPercentage,
          targetRequestsPerSecond: a.targetRequestsPerSecond,
        },
        minAvailable: v.minAvailable,
        argoRollouts: r.enabled,
        trafficRouting: v.trafficRouting,
        istio: v.istio,
        prometheusUrl: r.prometheusUrl,
        predictionLog: { enabled, ...(persistentVolumeClaim ? { claimName: persistentVolumeClaim } : {}) },
      },
    } satisfies ConfigInput["deploy"],
  });
  const g = v.registry;
  const source: ModelSource =
    g.kind === "github"
      ? { registry: "github", repository: g.location, apiUrl: g.apiUrl, tagFormat: g.tagFormat }
      : { registry: "git", url: g.location, tagFormat: g.tagFormat };
  const { name, version, artifacts } = v.model;
  const model = { name, version, modelUri: fetchedModelUri(name, version), fetch: { source, artifacts } };
  return buildManifests(
    {
      kubernetes: deploy.kubernetes,
      environment: v.environment,
      batching: serve.batching,
      monitoring: logged,
    },
    { model, deploy, colour: v.activeColour },
  ).map((o) => JSON.parse(JSON.stringify(o)) as Doc);
}

/** Objects only the chart has: they are not part of what `modelship deploy` applies. */
const CHART_ONLY = new Set(["ServiceAccount", "Pod", "Ingress", "ServiceMonitor", "ConfigMap"]);

/**
 * What the chart adds to the builders' objects, taken off so both can be compared: Helm's labels,
 * the pods' service account, pull policy and scheduling fields.
 */
function withoutHelmParts(doc: Doc): Doc {
  const d = structuredClone(doc);
  const labels = d.metadata.labels ?? {};
  for (const k of ["helm.sh/chart", "app.kubernetes.io/instance", "app.kubernetes.io/version"])
    delete labels[k];
  if (labels["app.kubernetes.io/managed-by"] === "Helm") labels["app.kubernetes.io/managed-by"] = "modelship";
  const pod = d.spec?.["template"];
  if (pod && (d.kind === "Deployment" || d.kind === "Rollout")) {
    delete pod.metadata.labels["app.kubernetes.io/instance"];
    delete pod.spec.serviceAccountName;
    delete pod.spec.automountServiceAccountToken;
    for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) delete c.imagePullPolicy;
  }
  for (const m of d.kind === "AnalysisTemplate" ? d.spec?.["metrics"] : [])
    for (const c of m.provider.job?.spec.template.spec.containers ?? []) delete c.imagePullPolicy;
  return d;
}

const byKey = (docs: Doc[]) => Object.fromEntries(docs.map((o) => [`${o.kind}/${o.metadata.name}`, o]));

const argo = (v: Values, more: Partial<Values> = {}): Values => ({
  ...v,
  argoRollouts: { ...v.argoRollouts, enabled: true },
  ...more,
});

describe("templates/helm/modelship with the real helm binary", () => {
  it("is a Helm 3 chart past 0.1.0 whose appVersion is the Modelship release", async () => {
    const pkg = JSON.parse(await readFile(PACKAGE, "utf8")) as { version: string };
    expect(chartVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(chartVersion).not.toBe("0.1.0");
    expect(appVersion).toBe(pkg.version);
  });

  it.each([
    ["the default values", [] as string[]],
    ["every option on", ["full"]],
  ])("helm lint --strict passes with %s", async (_name, which) => {
    const args = ["lint", "--strict", CHART, "-n", "ml"];
    if (which.length > 0) args.push("-f", await valuesFile(fullValues(defaults)));
    const r = await runKubeTool("helm", args);
    expect(r.stdout + r.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.code).toBe(0);
  });

  it.each([
    ["the default values", (v: Values) => v],
    [
      "green live, a git registry, batching, no autoscaler, no budget",
      (v: Values) => ({
        ...v,
        model: {
          name: "iris",
          version: "2.0.0+build.7",
          artifacts: [
            { path: "model/model.onnx", sha256: "ab".repeat(32), bytes: 123_456_789 },
            { path: "run.json", sha256: "cd".repeat(32), bytes: 812 },
          ],
        },
        registry: { ...v.registry, kind: "git" as const, location: "https://git.example.com/acme/iris.git" },
        batching: { maxBatchRows: 32, maxQueueDelayUs: 10_000_000, preferredBatchRows: [8, 16] },
        activeColour: "green" as const,
        port: 9000,
        resources: { requests: { cpu: "2", memory: "8Gi" }, limits: { memory: "8Gi" } },
        autoscaling: { ...v.autoscaling, enabled: false },
        minAvailable: 0,
      }),
    ],
    [
      "prediction logs on a PersistentVolumeClaim, half sampled, 50 MiB in 2.5 MiB files",
      (v: Values) => ({
        ...v,
        predictionLog: {
          enabled: true,
          sampleRate: 0.5,
          maxLogMB: 50,
          rotateMB: 2.5,
          maxRecordKB: 16,
          persistentVolumeClaim: "iris-predictions",
        },
      }),
    ],
    [
      "an emptyDir sized for 1,000 MiB of logs in 0.5 MiB files",
      (v: Values) => ({ ...v, predictionLog: { ...v.predictionLog, maxLogMB: 1000, rotateMB: 0.5 } }),
    ],
    [
      "prediction logging off",
      (v: Values) => ({ ...v, predictionLog: { ...v.predictionLog, enabled: false } }),
    ],
    [
      "requests-per-second autoscaling",
      (v: Values) => ({ ...v, autoscaling: { ...v.autoscaling, metric: "requests-per-second" as const } }),
    ],
    ["Argo Rollouts blue-green", (v: Values) => argo(v)],
    ["an Argo canary on Services", (v: Values) => argo(v, { strategy: "canary" })],
    [
      "an Argo canary through Istio, steps waiting for promote",
      (v: Values) =>
        argo(v, {
          strategy: "canary",
          canary: { steps: [5, 25, 100], pauseSeconds: null },
          trafficRouting: "istio",
          istio: { gateways: ["ml/public"], hosts: ["iris.example.com"] },
        }),
    ],
    ["an Argo A/B on Services", (v: Values) => argo(v, { strategy: "ab", ab: { weight: 20 } })],
    [
      "an Argo A/B through Istio",
      (v: Values) => argo(v, { strategy: "ab", ab: { weight: 20 }, trafficRouting: "istio" }),
    ],
    [
      "an Argo shadow through Istio",
      (v: Values) => argo(v, { strategy: "shadow", shadow: { percent: 30 }, trafficRouting: "istio" }),
    ],
    [
      "an Argo canary without analysis",
      (v: Values) =>
        argo(v, { strategy: "canary", argoRollouts: { ...v.argoRollouts, enabled: true, smokeRequests: 0 } }),
    ],
  ])("helm template renders %s into the builders' objects, each valid", async (_name, change) => {
    const v = change(structuredClone(defaults));
    const r = await template(v);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const d of r.docs) expect(() => validateManifest(d), `${d.kind}/${d.metadata.name}`).not.toThrow();
    const served = r.docs.filter((d) => !CHART_ONLY.has(d.kind)).map(withoutHelmParts);
    expect(byKey(served)).toEqual(byKey(fromBuilders(v)));
  });

  it("labels every object the way Helm recommends", async () => {
    const r = await template(argo(defaults, { strategy: "canary", trafficRouting: "istio" }));
    expect(r.docs.length).toBeGreaterThan(5);
    for (const d of r.docs) {
      expect(d.metadata.labels, `${d.kind}/${d.metadata.name}`).toMatchObject({
        "helm.sh/chart": `modelship-${chartVersion}`,
        "app.kubernetes.io/name": "modelship",
        "app.kubernetes.io/instance": "iris",
        "app.kubernetes.io/version": appVersion,
        "app.kubernetes.io/managed-by": "Helm",
      });
    }
    const pod = r.docs.find((d) => d.kind === "Rollout")?.spec?.["template"];
    expect(pod.metadata.labels["app.kubernetes.io/instance"]).toBe("iris");
  });

  it("applies every option of the full values", async () => {
    const r = await template(fullValues(defaults));
    expect(r.code).toBe(0);
    for (const d of r.docs) expect(() => validateManifest(d), `${d.kind}/${d.metadata.name}`).not.toThrow();
    expect(r.docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      [
        "AnalysisTemplate/iris-canary",
        "ConfigMap/iris-prometheus-adapter",
        "HorizontalPodAutoscaler/iris",
        "Ingress/iris",
        "Pod/iris-test-inference",
        "PodDisruptionBudget/iris",
        "Rollout/iris",
        "Service/iris",
        "Service/iris-canary",
        "Service/iris-metrics",
        "ServiceAccount/iris-sa",
        "ServiceMonitor/iris",
        "VirtualService/iris",
      ].sort(),
    );
    const find = (kind: string, name = "iris") =>
      r.docs.find((d) => d.kind === kind && d.metadata.name === name) as Doc;
    const pod = find("Rollout").spec?.["template"].spec;
    expect(pod).toMatchObject({
      serviceAccountName: "iris-sa",
      imagePullSecrets: [{ name: "ghcr" }],
      nodeSelector: { "nvidia.com/gpu.present": "true" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      affinity: { nodeAffinity: expect.any(Object) },
    });
    expect(pod.containers[0]).toMatchObject({
      image: "registry.example.com/ml/serve:2.3.4",
      imagePullPolicy: "Always",
      resources: {
        requests: { cpu: "2", memory: "4Gi", "nvidia.com/gpu": 1 },
        limits: { memory: "4Gi", "nvidia.com/gpu": 1 },
      },
    });
    // The fetch needs no GPU.
    expect(pod.initContainers[0].resources).toEqual({
      requests: { cpu: "2", memory: "4Gi" },
      limits: { memory: "4Gi" },
    });
    expect(find("ServiceAccount", "iris-sa").metadata.annotations).toEqual({
      "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/ml",
    });
    expect(find("Ingress").spec).toMatchObject({
      ingressClassName: "nginx",
      tls: [{ secretName: "iris-tls", hosts: ["iris.example.com"] }],
      rules: [
        {
          host: "iris.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "iris", port: { name: "http" } } },
              },
            ],
          },
        },
      ],
    });
    expect(find("ServiceMonitor").metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    expect(find("ServiceMonitor").spec).toMatchObject({
      selector: { matchLabels: { "modelship.dev/model": "iris", "modelship.dev/role": "metrics" } },
      endpoints: [{ port: "http", path: "/metrics", interval: "30s" }],
    });
    expect(find("Service", "iris-metrics").spec).toMatchObject({
      clusterIP: "None",
      selector: { "app.kubernetes.io/name": "modelship", "modelship.dev/model": "iris" },
    });
    const rules = parse((find("ConfigMap", "iris-prometheus-adapter") as Loose).data["rules.yaml"]) as Loose;
    expect(rules.rules[0]).toMatchObject({
      seriesQuery: 'modelship_requests_total{namespace!="",pod!=""}',
      name: { matches: "^modelship_requests_total$", as: "modelship_requests_per_second" },
    });
    expect(find("HorizontalPodAutoscaler").spec?.["metrics"]).toEqual([
      {
        type: "Pods",
        pods: {
          metric: { name: "modelship_requests_per_second" },
          target: { type: "AverageValue", averageValue: "40" },
        },
      },
    ]);
  });

  it.each([
    ["blue-green", defaults, ["--version", "1.0.0"]],
    // A canary's Service answers from both versions until it is promoted.
    ["an Argo canary", argo(defaults, { strategy: "canary" }), []],
  ])("ships a chart test that runs real inferences through the Service (%s)", async (_name, v, version) => {
    const r = await template(v);
    const pod = r.docs.find((d) => d.kind === "Pod") as Doc;
    expect(pod.metadata.annotations).toMatchObject({ "helm.sh/hook": "test" });
    expect(pod.spec?.["restartPolicy"]).toBe("Never");
    expect(pod.spec?.["containers"][0].args).toEqual([
      "probe",
      "--url",
      "http://model.ml.svc.cluster.local:8080",
      "--model",
      "model",
      ...version,
      "--requests",
      "3",
      "--max-latency-p95-ms",
      "5000",
    ]);
  });

  it.each([
    [
      "an unknown strategy",
      (v: Values) => ({ ...v, strategy: "rainbow" }),
      /strategy must be one of the following/,
    ],
    [
      "a canary without Argo Rollouts",
      (v: Values) => ({ ...v, strategy: "canary" }),
      /strategy canary runs as Argo Rollouts steps/,
    ],
    [
      "a shadow without Istio",
      (v: Values) => argo(v, { strategy: "shadow" }),
      /strategy shadow needs trafficRouting: istio/,
    ],
    [
      "a model name that is no DNS label",
      (v: Values) => ({ ...v, model: { ...v.model, name: "Iris_2" } }),
      /model\.name: Does not match pattern/,
    ],
    [
      "a digest that is not sha256 hex",
      (v: Values) => ({
        ...v,
        model: { ...v.model, artifacts: [{ path: "m.onnx", sha256: "abc", bytes: 1 }] },
      }),
      /sha256: Does not match pattern/,
    ],
    [
      "a pull policy Kubernetes does not know",
      (v: Values) => ({ ...v, image: { ...v.image, pullPolicy: "Sometimes" } }),
      /pullPolicy must be one of/,
    ],
    ["a misspelt key", (v: Values) => ({ ...v, replica: 3 }), /Additional property replica is not allowed/],
    [
      "a canary weight above 100",
      (v: Values) => ({ ...v, canary: { ...v.canary, steps: [10, 150] } }),
      /Must be less than or equal to 100/,
    ],
  ])("refuses %s with a message", async (_name, change, message) => {
    const r = await template(change(structuredClone(defaults)));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it.each([
    [
      "two Deployments",
      defaults,
      [
        /served by release iris in namespace ml/,
        /helm test iris -n ml/,
        /get deploy,svc -l modelship\.dev\/model=model/,
      ],
    ],
    [
      "an Argo A/B",
      argo(defaults, { strategy: "ab" }),
      [
        /strategy ab, Argo Rollouts/,
        /kubectl argo rollouts promote model -n ml/,
        /kubectl argo rollouts abort model -n ml/,
      ],
    ],
  ])("NOTES.txt tells how to reach and check %s", async (_name, v, lines) => {
    // helm template leaves NOTES.txt out: render it as a value through a copy of the chart.
    const copy = join(dir, `chart-${files++}`);
    await cp(CHART, copy, { recursive: true });
    await rename(join(copy, "templates", "NOTES.txt"), join(copy, "notes.txt"));
    await writeFile(
      join(copy, "templates", "notes.yaml"),
      'notes: {{ tpl (.Files.Get "notes.txt") . | quote }}\n',
    );
    const r = await template(v, copy, ["--show-only", "templates/notes.yaml"]);
    expect(r.code).toBe(0);
    const notes = (r.docs[0] as unknown as { notes: string }).notes;
    for (const line of lines) expect(notes).toMatch(line);
  });
});

function fullValues(v: Values): Values {
  return {
    ...argo(v),
    model: { ...v.model, name: "iris" },
    strategy: "canary",
    trafficRouting: "istio",
    image: { repository: "registry.example.com/ml/serve", tag: "2.3.4", pullPolicy: "Always" },
    imagePullSecrets: [{ name: "ghcr" }],
    serviceAccount: {
      create: true,
      name: "iris-sa",
      annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/ml" },
    },
    podAnnotations: { "prometheus.io/scrape": "true" },
    resources: {
      requests: { cpu: "2", memory: "4Gi", "nvidia.com/gpu": 1 as unknown as string },
      limits: { memory: "4Gi", "nvidia.com/gpu": 1 as unknown as string },
    },
    nodeSelector: { "nvidia.com/gpu.present": "true" },
    tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] },
          ],
        },
      },
    },
    autoscaling: { ...v.autoscaling, metric: "requests-per-second", targetRequestsPerSecond: 40 },
    ingress: {
      enabled: true,
      className: "nginx",
      annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "8m" },
      hosts: [{ host: "iris.example.com", paths: [{ path: "/", pathType: "Prefix" }] }],
      tls: [{ secretName: "iris-tls", hosts: ["iris.example.com"] }],
    },
    metrics: {
      serviceMonitor: { enabled: true, interval: "30s", labels: { release: "kube-prometheus-stack" } },
    },
  };
}
