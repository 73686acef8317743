import { z } from "zod";
import { ModelshipError } from "../errors.ts";
import { STATE_ANNOTATION } from "./kubernetes-names.ts";
import { ModelFetchSchema } from "./model-source.ts";

const VersionSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  modelUri: z.string().min(1),
  image: z.string().min(1),
  /** The registry and pinned digests the init container fetched it with, so a rollback fetches the same files. */
  fetch: ModelFetchSchema.optional(),
});
/** A model version as deployed: the image is resolved, so a rollback runs exactly what ran before. */
export type DeployedVersion = z.infer<typeof VersionSchema>;

/** What the `modelship.dev/state` annotation on the model's Service holds. */
export const KubernetesStateSchema = z.object({
  schemaVersion: z.literal(1),
  environment: z.string(),
  updatedAt: z.string(),
  active: VersionSchema.extend({ colour: z.enum(["blue", "green"]), since: z.string() }).nullable(),
  previous: VersionSchema.nullable(),
  /**
   * While a canary, A/B or shadow rollout runs: the new version's colour and share of requests
   * (shadow: the share copied to it). Absent when one version takes all traffic.
   */
  split: z
    .object({
      colour: z.enum(["blue", "green"]),
      version: z.string().min(1),
      weight: z.number().min(0).max(100),
      mode: z.enum(["split", "shadow"]),
      /** The share the pod counts really give when the split is replica-weighted. */
      effectiveWeight: z.number().min(0).max(100),
      strategy: z.enum(["canary", "ab", "shadow"]),
      /** Index of the canary step (0 for A/B and shadow). */
      step: z.number().int().nonnegative(),
      /** The new version exactly as it runs, so a later promote records it as live. */
      target: VersionSchema,
    })
    .optional(),
});
export type KubernetesState = z.infer<typeof KubernetesStateSchema>;

/** Reads the state annotation of a Service; a missing annotation means nothing was deployed yet. */
export function parseKubernetesState(
  annotations: Record<string, string> | undefined,
  where: { namespace: string; service: string },
): KubernetesState | null {
  const text = annotations?.[STATE_ANNOTATION];
  if (text === undefined) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = KubernetesStateSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ModelshipError({
    code: "kubernetes-state-invalid",
    message: `the ${STATE_ANNOTATION} annotation on Service ${where.namespace}/${where.service} is not Modelship state${issue ? ` (${issue.path.join(".") || "body"}: ${issue.message})` : ""}`,
    hint: `Remove the annotation (kubectl annotate service ${where.service} ${STATE_ANNOTATION}- -n ${where.namespace}) and deploy again.`,
  });
}

/** The annotation's text: compact JSON, well under Kubernetes' 256 KiB annotation limit. */
export function renderKubernetesState(state: KubernetesState): string {
  return JSON.stringify(state);
}
