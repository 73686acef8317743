import type { Colour } from "../rollout/rollout-types.ts";

/** Label and annotation keys every object Modelship creates carries. */
export const LABELS = {
  app: "app.kubernetes.io/name",
  managedBy: "app.kubernetes.io/managed-by",
  model: "modelship.dev/model",
  colour: "modelship.dev/colour",
  version: "modelship.dev/version",
  environment: "modelship.dev/environment",
} as const;

/** The Service annotation that holds what is live and what was live before (JSON). */
export const STATE_ANNOTATION = "modelship.dev/state";
/** Pod-template annotations with the exact version and model location (labels cannot hold every semver). */
export const VERSION_ANNOTATION = "modelship.dev/version";
export const MODEL_URI_ANNOTATION = "modelship.dev/model-uri";

/** The field manager every server-side apply uses. */
export const FIELD_MANAGER = "modelship";

/** Name of the container port and of the Service ports. */
export const PORT_NAME = "http";

const LONGEST_SUFFIX = "-preview".length;

/** Names of the objects one model gets; every one is a valid DNS-1035 label of at most 63 characters. */
export type KubernetesNames = {
  base: string;
  deployment(colour: Colour): string;
  autoscaler(colour: Colour): string;
  service: string;
  previewService: string;
  disruptionBudget: string;
  rollout: string;
  analysisPrePromotion: string;
  analysisPostPromotion: string;
  /** The Service Argo Rollouts points at the canary pods (canary, A/B, shadow). */
  canaryService: string;
  /** The AnalysisTemplate run at every canary step. */
  analysisCanary: string;
  virtualService: string;
};

/**
 * Turns a model name (which may hold '.' and '_' and start with a digit) into object names that
 * Services accept too: lower-case letters, digits and '-', starting with a letter.
 */
export function kubernetesNames(modelName: string): KubernetesNames {
  let base = modelName.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  if (!/^[a-z]/.test(base)) base = `m-${base}`;
  base = base.slice(0, 63 - LONGEST_SUFFIX).replace(/-+$/, "");
  if (base === "") base = "model";
  return {
    base,
    deployment: (colour) => `${base}-${colour}`,
    autoscaler: (colour) => `${base}-${colour}`,
    service: base,
    previewService: `${base}-preview`,
    disruptionBudget: base,
    rollout: base,
    analysisPrePromotion: `${base}-pre`,
    analysisPostPromotion: `${base}-post`,
    canaryService: `${base}-canary`,
    analysisCanary: `${base}-canary`,
    virtualService: base,
  };
}

/**
 * A label value Kubernetes accepts (at most 63 characters of [A-Za-z0-9._-], alphanumeric at both
 * ends): a semver build suffix such as `+sha.1` becomes `-sha.1`.
 */
export function labelValue(value: string): string {
  const v = value
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return v;
}

/** Labels that pick one colour's pods: the Deployment selector and the Service selector. */
export function colourSelector(modelName: string, colour: Colour): Record<string, string> {
  return { [LABELS.app]: "modelship", [LABELS.model]: labelValue(modelName), [LABELS.colour]: colour };
}

/** Labels that pick every pod of a model, whatever its colour. */
export function modelSelector(modelName: string): Record<string, string> {
  return { [LABELS.app]: "modelship", [LABELS.model]: labelValue(modelName) };
}
