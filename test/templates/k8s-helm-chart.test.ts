import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { buildManifests } from "../../core/kubernetes/build-manifests.ts";
import { ConfigSchema } from "../../core/config/schema.ts";
import { fetchedModelUri, type ModelSource } from "../../core/kubernetes/model-source.ts";
import type { ConfigInput } from "../../core/config/schema.ts";
import { renderChart } from "./k8s-helm-render.ts";
import { validateManifest } from "./k8s-validate-object.ts";

const CHART = join(import.meta.dirname, "..", "..", "templates", "helm", "modelship");

type Values = {
  model: { name: string; version: string; artifacts: Array<{ path: string; sha256: string; bytes: number }> };
  registry: { kind: "github" | "git"; location: string; apiUrl: string; tagFormat: string };
  batching: { maxBatchRows: number; maxQueueDelayUs: number; preferredBatchRows: number[] };
  environment: string;
  image: string;
  activeColour: "blue" | "green";
  replicas: number;
  port: number;
  resources: { cpu: string; memory: string; gpu: number };
  autoscaling: {
    enabled: boolean;
    minReplicas: number;
    maxReplicas: number;
    targetRequestsPerSecond: number;
  };
  minAvailable: number;
  argoRollouts: {
    enabled: boolean;
    scaleDownDelaySeconds: number;
    smokeRequests: number;
    postChecks: number;
  };
};

async function chart() {
  const names = await readdir(join(CHART, "templates"));
  const templates: Record<string, string> = {};
  for (const n of names) templates[n] = await readFile(join(CHART, "templates", n), "utf8");
  return {
    meta: parse(await readFile(join(CHART, "Chart.yaml"), "utf8")) as Record<string, unknown>,
    values: parse(await readFile(join(CHART, "values.yaml"), "utf8")) as Values,
    templates,
  };
}

function renderObjects(templates: Record<string, string>, values: Values, namespace: string) {
  const out = renderChart(templates, {
    Values: values,
    Release: { Name: "iris", Namespace: namespace },
    Chart: {},
  });
  return Object.entries(out)
    .filter(([name]) => name.endsWith(".yaml"))
    .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown> | null))
    .filter((d): d is Record<string, unknown> => d !== null);
}

/** The same release through the builders the kubernetes target uses. */
function fromBuilders(values: Values, namespace: string) {
  const { deploy, serve } = ConfigSchema.parse({
    serve: { batching: values.batching },
    deploy: {
      environment: values.environment,
      scaleDownDelaySeconds: values.argoRollouts.scaleDownDelaySeconds,
      analysis: { smokeRequests: values.argoRollouts.smokeRequests },
      kubernetes: {
        namespace,
        image: values.image,
        replicas: values.replicas,
        port: values.port,
        resources: values.resources,
        autoscaling: values.autoscaling,
        minAvailable: values.minAvailable,
        argoRollouts: values.argoRollouts.enabled,
      },
    } satisfies ConfigInput["deploy"],
  });
  const r = values.registry;
  const source: ModelSource =
    r.kind === "github"
      ? { registry: "github", repository: r.location, apiUrl: r.apiUrl, tagFormat: r.tagFormat }
      : { registry: "git", url: r.location, tagFormat: r.tagFormat };
  const { name, version, artifacts } = values.model;
  const model = { name, version, modelUri: fetchedModelUri(name, version), fetch: { source, artifacts } };
  return buildManifests(
    { kubernetes: deploy.kubernetes, environment: values.environment, batching: serve.batching },
    { model, deploy, colour: values.activeColour },
  ).map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>);
}

const byKey = (objects: Array<Record<string, unknown>>) =>
  Object.fromEntries(
    objects.map((o) => [`${String(o["kind"])}/${String((o["metadata"] as { name: string }).name)}`, o]),
  );

describe("templates/helm/modelship", () => {
  it("is a Helm 3 chart with values for every knob the builders take", async () => {
    const { meta, values, templates } = await chart();
    expect(meta).toMatchObject({ apiVersion: "v2", name: "modelship", type: "application" });
    expect(String(meta["version"])).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(values).sort()).toEqual(
      [
        "activeColour",
        "argoRollouts",
        "autoscaling",
        "batching",
        "registry",
        "environment",
        "image",
        "minAvailable",
        "model",
        "port",
        "replicas",
        "resources",
      ].sort(),
    );
    expect(Object.keys(templates).sort()).toEqual(
      [
        "NOTES.txt",
        "_helpers.tpl",
        "autoscalers.yaml",
        "deployments.yaml",
        "disruption-budget.yaml",
        "rollout.yaml",
        "services.yaml",
      ].sort(),
    );
  });

  it.each([
    ["the default values", (v: Values) => v],
    [
      "green live, one GPU, no autoscaler, no budget",
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
        resources: { cpu: "2", memory: "8Gi", gpu: 1 },
        autoscaling: { ...v.autoscaling, enabled: false },
        minAvailable: 0,
      }),
    ],
    ["Argo Rollouts", (v: Values) => ({ ...v, argoRollouts: { ...v.argoRollouts, enabled: true } })],
  ])("renders %s into exactly the objects the builders make, each valid", async (_name, change) => {
    const { values, templates } = await chart();
    const v = change(structuredClone(values));
    const rendered = renderObjects(templates, v, "ml");
    for (const o of rendered) expect(() => validateManifest(o)).not.toThrow();
    expect(byKey(rendered)).toEqual(byKey(fromBuilders(v, "ml")));
  });
});
