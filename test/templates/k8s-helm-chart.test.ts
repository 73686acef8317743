import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { buildManifests } from "../../core/kubernetes/build-manifests.ts";
import { ConfigSchema } from "../../core/config/schema.ts";
import type { ConfigInput } from "../../core/config/schema.ts";
import { renderChart } from "./k8s-helm-render.ts";
import { validateManifest } from "./k8s-validate-object.ts";

const CHART = join(import.meta.dirname, "..", "..", "templates", "helm", "modelship");

type Values = {
  model: { name: string; version: string; modelUri: string };
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
  const deploy = ConfigSchema.parse({
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
  }).deploy;
  return buildManifests(
    { kubernetes: deploy.kubernetes, environment: values.environment },
    { model: values.model, deploy, colour: values.activeColour },
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
        model: { name: "iris", version: "2.0.0+build.7", modelUri: "/models/iris" },
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
