import type { Config } from "../config/schema.ts";
import type { Colour } from "../rollout/rollout-types.ts";
import { otherColour } from "../rollout/rollout-types.ts";
import { buildArgoRollout } from "./build-argo-rollout.ts";
import { buildAutoscaler } from "./build-autoscaler.ts";
import { assertStrategySupported } from "./build-canary-strategy.ts";
import type { StrategyDeploy } from "./build-canary-strategy.ts";
import { buildDeployment } from "./build-deployment.ts";
import { buildDisruptionBudget } from "./build-disruption-budget.ts";
import { buildCanaryService, buildPreviewService, buildService } from "./build-services.ts";
import { buildVirtualService } from "./build-virtual-service.ts";
import type { BuildContext, ServedModel } from "./kubernetes-inputs.ts";
import { kubernetesNames } from "./kubernetes-names.ts";
import { splitReplicas } from "./split-replicas.ts";

/** Any object the builders return: a validated kubernetes-models instance. */
export type KubernetesObject = {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string | undefined; namespace?: string | undefined } | undefined;
  toJSON(): unknown;
};

type ManifestDeploy = Pick<Config["deploy"], "scaleDownDelaySeconds" | "analysis"> & Partial<StrategyDeploy>;

/**
 * Every object for one model, as a static set. Two Deployments: `colour` serves and, for
 * blue-green, the other colour is scaled to 0; for canary and A/B the other colour takes the
 * first step's share (pod counts behind one Service, or Istio weights), for shadow a mirrored copy.
 * Argo Rollouts: one Rollout, its analysis templates and Services (and the VirtualService with Istio).
 */
export function buildManifests(
  ctx: BuildContext,
  opts: { model: ServedModel; deploy: ManifestDeploy; colour?: Colour },
): KubernetesObject[] {
  const modelName = opts.model.name;
  const objects: KubernetesObject[] = [];
  const strategy = opts.deploy.strategy ?? "blue-green";
  assertStrategySupported(ctx, { strategy });
  const autoscale = ctx.kubernetes.autoscaling.enabled;
  if (ctx.kubernetes.argoRollouts) {
    const { rollout, analysisTemplates } = buildArgoRollout(ctx, { model: opts.model, deploy: opts.deploy });
    objects.push(rollout, ...analysisTemplates, buildService(ctx, { modelName, colour: null }));
    if (strategy === "blue-green") objects.push(buildPreviewService(ctx, { modelName, colour: null }));
    else {
      objects.push(buildCanaryService(ctx, { modelName }));
      if (ctx.kubernetes.trafficRouting === "istio") {
        const names = kubernetesNames(modelName);
        objects.push(
          buildVirtualService(ctx, {
            modelName,
            traffic: {
              mode: "split",
              stableHost: names.service,
              candidateHost: names.canaryService,
              weight: 0,
            },
          }),
        );
      }
    }
    if (autoscale) objects.push(buildAutoscaler(ctx, { modelName, colour: null }));
  } else {
    const live = opts.colour ?? "blue";
    const idle = otherColour(live);
    const weight = firstWeight(opts.deploy);
    const istio = ctx.kubernetes.trafficRouting === "istio";
    // Without Istio a split is the pods' share behind one Service spanning both colours.
    const split = istio
      ? { stable: ctx.kubernetes.replicas, candidate: ctx.kubernetes.replicas }
      : splitReplicas(ctx.kubernetes.replicas, weight);
    objects.push(
      buildDeployment(ctx, {
        model: opts.model,
        colour: live,
        replicas: strategy === "blue-green" ? ctx.kubernetes.replicas : split.stable,
      }),
      buildDeployment(ctx, {
        model: opts.model,
        colour: idle,
        replicas: strategy === "blue-green" ? 0 : split.candidate,
      }),
      buildService(ctx, { modelName, colour: strategy === "blue-green" || istio ? live : null }),
      buildPreviewService(ctx, { modelName, colour: idle }),
    );
    if (strategy !== "blue-green" && istio) {
      const names = kubernetesNames(modelName);
      objects.push(
        buildVirtualService(ctx, {
          modelName,
          traffic: {
            mode: strategy === "shadow" ? "shadow" : "split",
            stableHost: names.service,
            candidateHost: names.previewService,
            weight,
            pinByHeader: strategy === "ab",
          },
        }),
      );
    }
    if (autoscale) {
      objects.push(
        buildAutoscaler(ctx, { modelName, colour: live }),
        buildAutoscaler(ctx, { modelName, colour: idle }),
      );
    }
  }
  if (ctx.kubernetes.minAvailable > 0) objects.push(buildDisruptionBudget(ctx, { modelName }));
  return objects;
}

/** The candidate's share at the first step of the strategy (shadow: the mirrored percent). */
export function firstWeight(deploy: Partial<StrategyDeploy>): number {
  switch (deploy.strategy) {
    case "canary":
      return deploy.canary?.steps[0] ?? 0;
    case "ab":
      return deploy.ab?.weight ?? 0;
    case "shadow":
      return deploy.shadow?.percent ?? 0;
    default:
      return 0;
  }
}
