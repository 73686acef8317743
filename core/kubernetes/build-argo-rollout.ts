import { AnalysisTemplate, Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1";
import type { Config } from "../config/schema.ts";
import { buildCanaryAnalysis } from "./build-canary-analysis.ts";
import { buildCanaryStrategy } from "./build-canary-strategy.ts";
import type { StrategyDeploy } from "./build-canary-strategy.ts";
import { buildPodTemplate } from "./build-deployment.ts";
import { namespaceOf } from "./kubernetes-inputs.ts";
import type { BuildContext, ServedModel } from "./kubernetes-inputs.ts";
import { kubernetesNames, LABELS, labelValue, modelSelector } from "./kubernetes-names.ts";
import { validated } from "./validated.ts";

type Deploy = Pick<Config["deploy"], "scaleDownDelaySeconds" | "analysis"> & Partial<StrategyDeploy>;

/**
 * The Argo Rollouts alternative to two Deployments: one Rollout. Blue-green (the default): active
 * and preview Services, auto-promotion, the old ReplicaSet kept `scaleDownDelaySeconds`, and the
 * same gates as pre- and post-promotion analysis. Canary, A/B and shadow: the canary strategy of
 * `buildCanaryStrategy` with the canary AnalysisTemplate in the background.
 */
export function buildArgoRollout(
  ctx: BuildContext,
  opts: { model: ServedModel; deploy: Deploy },
): { rollout: Rollout; analysisTemplates: AnalysisTemplate[] } {
  const names = kubernetesNames(opts.model.name);
  const a = opts.deploy.analysis;
  const labels = {
    [LABELS.app]: "modelship",
    [LABELS.model]: labelValue(opts.model.name),
    [LABELS.environment]: labelValue(ctx.environment),
    [LABELS.managedBy]: "modelship",
  };
  const namespace = namespaceOf(ctx);
  const strategy = opts.deploy.strategy ?? "blue-green";
  if (strategy !== "blue-green") {
    const d = opts.deploy as Deploy & StrategyDeploy;
    const analysis = a.smokeRequests > 0;
    const rollout = validated(
      new Rollout({
        metadata: { name: names.rollout, namespace, labels },
        spec: {
          replicas: ctx.kubernetes.replicas,
          revisionHistoryLimit: 3,
          selector: { matchLabels: modelSelector(opts.model.name) },
          template: buildPodTemplate(ctx, { model: opts.model, colour: null }) as never,
          strategy: { canary: buildCanaryStrategy(ctx, { model: opts.model, deploy: d, analysis }) },
        },
      }),
    );
    const templates = analysis ? [buildCanaryAnalysis(ctx, { model: opts.model, analysis: a })] : [];
    return { rollout, analysisTemplates: templates };
  }
  const args = (service: string) => [
    { name: "service", value: service },
    { name: "namespace", value: namespace },
    { name: "port", value: String(ctx.kubernetes.port) },
    { name: "model", value: opts.model.name },
  ];
  const rollout = validated(
    new Rollout({
      metadata: { name: names.rollout, namespace, labels },
      spec: {
        replicas: ctx.kubernetes.replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: modelSelector(opts.model.name) },
        template: buildPodTemplate(ctx, { model: opts.model, colour: null }) as never,
        strategy: {
          blueGreen: {
            activeService: names.service,
            previewService: names.previewService,
            autoPromotionEnabled: true,
            // Argo counts whole seconds; round up so the old colour is never kept less than asked.
            scaleDownDelaySeconds: Math.ceil(opts.deploy.scaleDownDelaySeconds),
            ...(a.smokeRequests > 0
              ? {
                  prePromotionAnalysis: {
                    templates: [{ templateName: names.analysisPrePromotion }],
                    args: args(names.previewService),
                  },
                }
              : {}),
            ...(a.postSwitchSeconds > 0
              ? {
                  postPromotionAnalysis: {
                    templates: [{ templateName: names.analysisPostPromotion }],
                    args: args(names.service),
                  },
                }
              : {}),
          },
        },
      },
    }),
  );
  const count = Math.max(1, a.smokeRequests);
  const timeoutSeconds = Math.max(1, Math.ceil(a.maxLatencyP95Ms / 1000));
  // Argo fails a metric once failures exceed failureLimit: allow the configured error rate.
  const failureLimit = Math.floor(a.maxErrorRate * count);
  const template = (name: string, path: string, intervalMs: number) =>
    validated(
      new AnalysisTemplate({
        metadata: { name, namespace, labels },
        spec: {
          args: [{ name: "service" }, { name: "namespace" }, { name: "port" }, { name: "model" }],
          metrics: [
            {
              name: "ready",
              count,
              interval: `${Math.max(1, Math.round(intervalMs))}ms`,
              failureLimit,
              successCondition: "result == true",
              provider: {
                web: {
                  url: `http://{{args.service}}.{{args.namespace}}.svc.cluster.local:{{args.port}}${path}`,
                  jsonPath: "{$.ready}",
                  timeoutSeconds,
                },
              },
            },
          ],
        },
      }),
    );
  const analysisTemplates = [
    template(names.analysisPrePromotion, "/v2/models/{{args.model}}/ready", 1000),
    template(names.analysisPostPromotion, "/v2/health/ready", (a.postSwitchSeconds * 1000) / count),
  ];
  return { rollout, analysisTemplates };
}
