import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { k8sTemplateFiles } from "../../core/kubernetes/k8s-template-files.ts";
import { validateManifest } from "./k8s-validate-object.ts";

const DIR = join(import.meta.dirname, "..", "..", "templates", "k8s");
const files = k8sTemplateFiles();

describe("templates/k8s", () => {
  it.each(Object.keys(files))(
    "%s is what the builders render (regenerate with write-k8s-templates.ts)",
    async (name) => {
      expect(await readFile(join(DIR, name), "utf8")).toBe(files[name]);
    },
  );

  it.each([
    [
      "blue-green.yaml",
      [
        "Deployment",
        "Deployment",
        "Service",
        "Service",
        "HorizontalPodAutoscaler",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
      ],
    ],
    [
      "argo-rollout.yaml",
      [
        "Rollout",
        "AnalysisTemplate",
        "AnalysisTemplate",
        "Service",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
      ],
    ],
    [
      "argo-canary-istio.yaml",
      [
        "Rollout",
        "AnalysisTemplate",
        "Service",
        "Service",
        "VirtualService",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
      ],
    ],
    ["rbac.yaml", ["ServiceAccount", "Role", "RoleBinding"]],
  ])("every object in %s passes the official schema", async (name, kinds) => {
    const docs = parseAllDocuments(await readFile(join(DIR, name), "utf8"))
      .map((d) => d.toJS() as { apiVersion: string; kind: string } | null)
      .filter((d) => d !== null);
    expect(docs.map((d) => d.kind)).toEqual(kinds);
    for (const doc of docs) expect(() => validateManifest(doc)).not.toThrow();
  });
});
