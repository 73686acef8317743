import type { Config } from "../config/schema.ts";
import type { Colour } from "../rollout/rollout-types.ts";
import { buildArgoRollout } from "./build-argo-rollout.ts";
import { buildAutoscaler } from "./build-autoscaler.ts";
import { buildDeployment } from "./build-deployment.ts";
import { buildDisruptionBudget } from "./build-disruption-budget.ts";
import { buildPreviewService, buildService } from "./build-services.ts";
import type { BuildContext, ServedModel } from "./kubernetes-inputs.ts";

/** Any object the builders return: a validated kubernetes-models instance. */
export type KubernetesObject = {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string | undefined; namespace?: string | undefined } | undefined;
  toJSON(): unknown;
};

/**
 * Every object for one model, as a static set: with two Deployments, `colour` serves and the
 * other colour is scaled to 0; with Argo Rollouts, one Rollout and its analysis templates.
 */
export function buildManifests(
  ctx: BuildContext,
  opts: {
    model: ServedModel;
    deploy: Pick<Config["deploy"], "scaleDownDelaySeconds" | "analysis">;
    colour?: Colour;
  },
): KubernetesObject[] {
  const modelName = opts.model.name;
  const objects: KubernetesObject[] = [];
  if (ctx.kubernetes.argoRollouts) {
    const { rollout, analysisTemplates } = buildArgoRollout(ctx, { model: opts.model, deploy: opts.deploy });
    objects.push(
      rollout,
      ...analysisTemplates,
      buildService(ctx, { modelName, colour: null }),
      buildPreviewService(ctx, { modelName, colour: null }),
    );
    if (ctx.kubernetes.autoscaling.enabled) objects.push(buildAutoscaler(ctx, { modelName, colour: null }));
  } else {
    const live = opts.colour ?? "blue";
    const idle = live === "blue" ? "green" : "blue";
    objects.push(
      buildDeployment(ctx, { model: opts.model, colour: live }),
      buildDeployment(ctx, { model: opts.model, colour: idle, replicas: 0 }),
      buildService(ctx, { modelName, colour: live }),
      buildPreviewService(ctx, { modelName, colour: idle }),
    );
    if (ctx.kubernetes.autoscaling.enabled) {
      objects.push(
        buildAutoscaler(ctx, { modelName, colour: live }),
        buildAutoscaler(ctx, { modelName, colour: idle }),
      );
    }
  }
  if (ctx.kubernetes.minAvailable > 0) objects.push(buildDisruptionBudget(ctx, { modelName }));
  return objects;
}
