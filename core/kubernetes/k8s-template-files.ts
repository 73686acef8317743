import { ConfigSchema } from "../config/schema.ts";
import { buildManifests } from "./build-manifests.ts";
import type { ServedModel } from "./kubernetes-inputs.ts";
import { fetchedModelUri } from "./model-source.ts";
import { renderManifestsYaml } from "./render-manifests-yaml.ts";

/**
 * The example model the checked-in manifests describe: fetched by the `fetch-model` init container
 * from the repository's GitHub Releases and checked against a placeholder digest, which fails
 * until replaced with the version's own (`modelship models show VERSION --json`).
 */
export const TEMPLATE_MODEL: ServedModel = {
  name: "model",
  version: "1.0.0",
  modelUri: fetchedModelUri("model", "1.0.0"),
  fetch: {
    source: {
      registry: "github",
      repository: "OWNER/REPO",
      apiUrl: "https://api.github.com",
      tagFormat: "model/{name}/v{version}",
    },
    artifacts: [{ path: "model/model.onnx", sha256: "0".repeat(64), bytes: 0 }],
  },
};

/**
 * `templates/k8s/*.yaml`: the objects the kubernetes target applies, rendered from the same
 * builders with every config default, for teams that apply manifests themselves (kubectl, GitOps).
 */
export function k8sTemplateFiles(): Record<string, string> {
  const { deploy, serve } = ConfigSchema.parse({});
  const ctx = { kubernetes: deploy.kubernetes, environment: deploy.environment, batching: serve.batching };
  const argo = { ...ctx, kubernetes: { ...deploy.kubernetes, argoRollouts: true } };
  const argoIstio = { ...ctx, kubernetes: { ...argo.kubernetes, trafficRouting: "istio" as const } };
  const note = (what: string) =>
    [
      `Modelship: ${what}`,
      "Generated from core/kubernetes (node adapters/deploy-kubernetes/write-k8s-templates.ts); do not edit by hand.",
      "Replace model, the image and the namespace; every value is the config default of deploy.kubernetes.",
      "The fetch-model init container fetches the version into the model volume: set MODELSHIP_REGISTRY_LOCATION",
      "(OWNER/REPO, or a git URL with MODELSHIP_REGISTRY: git), the version, and MODELSHIP_MODEL_ARTIFACTS to the",
      "version's artifacts and digests (`modelship models show VERSION --json`).",
    ].join("\n");
  return {
    "blue-green.yaml": renderManifestsYaml(
      buildManifests(ctx, { model: TEMPLATE_MODEL, deploy }),
      note(
        "blue and green Deployments, the Service (selector on the live colour), a preview Service, autoscalers and a disruption budget.",
      ),
    ),
    "argo-rollout.yaml": renderManifestsYaml(
      buildManifests(argo, { model: TEMPLATE_MODEL, deploy }),
      note("the Argo Rollouts alternative: one blue-green Rollout with pre- and post-promotion analysis."),
    ),
    "argo-canary-istio.yaml": renderManifestsYaml(
      buildManifests(argoIstio, { model: TEMPLATE_MODEL, deploy: { ...deploy, strategy: "canary" } }),
      note(
        "an Argo Rollouts canary (deploy.strategy: canary, the default steps) routed by Istio: the Rollout, the analysis run at every step (real inferences by a Job, error rate and p95 from Prometheus), the stable and canary Services and the VirtualService whose weights Argo sets.",
      ),
    ),
  };
}
