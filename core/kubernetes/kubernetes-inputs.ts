import type { Config, Monitoring, ServeBatching } from "../config/schema.ts";
import { ModelshipError } from "../errors.ts";
import type { ModelFetch } from "./model-source.ts";

/** `deploy.kubernetes` from the config. */
export type KubernetesSettings = Config["deploy"]["kubernetes"];

/** The model version one colour serves. */
export type ServedModel = {
  /** The model's name in V2 URLs (`/v2/models/{name}`). */
  name: string;
  version: string;
  /** Where the serving container finds the model: on the shared volume, or a path inside the image. */
  modelUri: string;
  /** Overrides `deploy.kubernetes.image` for this version. */
  image?: string;
  /** When set, an init container fetches the version into a shared volume and verifies it first. */
  fetch?: ModelFetch | undefined;
};

/** What every builder needs besides the object-specific bits. */
export type BuildContext = {
  kubernetes: KubernetesSettings;
  environment: string;
  /** Overrides `deploy.kubernetes.namespace`. */
  namespace?: string;
  /** `serve.batching`, passed to the server container as its batching flags (default: the server's own). */
  batching?: ServeBatching;
  /** `monitoring`: the prediction log's sampling and sizes (default: the config defaults). */
  monitoring?: Monitoring;
};

export function namespaceOf(ctx: BuildContext): string {
  return ctx.namespace ?? ctx.kubernetes.namespace;
}

/**
 * The image a version runs: the one serving image (`deploy.kubernetes.image`) when the init
 * container fetches the version, and also without a fetch unless the opt-in per-version template
 * (`deploy.kubernetes.versionImage`, `{model}` and `{version}` filled in) names an image that
 * carries the model. A version that ran with an explicit image keeps it.
 */
export function resolveImage(ctx: BuildContext, model: ServedModel): string {
  if (model.image !== undefined) return model.image;
  const template = ctx.kubernetes.versionImage;
  if (model.fetch !== undefined || template === null) return ctx.kubernetes.image;
  return template.replaceAll("{model}", model.name).replaceAll("{version}", model.version);
}

// The API server's own quantity grammar (k8s.io/apimachinery resource.ParseQuantity).
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** True when the API server would parse `value` as a resource quantity. */
export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}

/** Refuses a quantity such as `half a core` before it reaches the cluster. */
export function assertQuantity(value: string, key: string): void {
  if (isQuantity(value)) return;
  throw new ModelshipError({
    code: "config-invalid",
    message: `${key} is '${value}', which Kubernetes does not read as a quantity`,
    hint: "Use a Kubernetes quantity such as 500m or 2 (CPU) and 512Mi or 2Gi (memory).",
  });
}
