import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import type { Colour } from "../rollout/rollout-types.ts";
import { namespaceOf } from "./kubernetes-inputs.ts";
import type { BuildContext } from "./kubernetes-inputs.ts";
import { kubernetesNames, LABELS, labelValue } from "./kubernetes-names.ts";
import { validated } from "./validated.ts";

/** The per-pod metric the autoscaler reads (served by a metrics adapter from `modelship_requests_total`). */
export const REQUESTS_PER_SECOND_METRIC = "modelship_requests_per_second";

/** Seconds HPA v2 waits before scaling down, as Kubernetes' default. */
export const SCALE_DOWN_STABILIZATION_SECONDS = 300;

/**
 * Scales one colour (a Deployment, or the Argo Rollout when `colour` is null) on CPU utilisation
 * (metrics-server) or, with `metric: requests-per-second`, on requests per second per pod (a
 * prometheus-adapter rule): up at once, down after 300 s. An idle colour at 0 replicas is left alone by
 * Kubernetes, so the autoscaler of the colour not serving does nothing.
 */
export function buildAutoscaler(
  ctx: BuildContext,
  opts: { modelName: string; colour: Colour | null },
): HorizontalPodAutoscaler {
  const a = ctx.kubernetes.autoscaling;
  const names = kubernetesNames(opts.modelName);
  const target = opts.colour
    ? { apiVersion: "apps/v1", kind: "Deployment", name: names.deployment(opts.colour) }
    : { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: names.rollout };
  return validated(
    new HorizontalPodAutoscaler({
      metadata: {
        name: opts.colour ? names.autoscaler(opts.colour) : names.rollout,
        namespace: namespaceOf(ctx),
        labels: {
          [LABELS.app]: "modelship",
          [LABELS.model]: labelValue(opts.modelName),
          ...(opts.colour ? { [LABELS.colour]: opts.colour } : {}),
          [LABELS.environment]: labelValue(ctx.environment),
          [LABELS.managedBy]: "modelship",
        },
      },
      spec: {
        scaleTargetRef: target,
        minReplicas: a.minReplicas,
        maxReplicas: Math.max(a.maxReplicas, a.minReplicas),
        metrics: [
          a.metric === "cpu"
            ? {
                type: "Resource",
                resource: {
                  name: "cpu",
                  target: { type: "Utilization", averageUtilization: a.targetCpuUtilization },
                },
              }
            : {
                type: "Pods",
                pods: {
                  metric: { name: REQUESTS_PER_SECOND_METRIC },
                  target: { type: "AverageValue", averageValue: String(a.targetRequestsPerSecond) },
                },
              },
        ],
        behavior: {
          scaleUp: {
            stabilizationWindowSeconds: 0,
            selectPolicy: "Max",
            policies: [
              { type: "Percent", value: 100, periodSeconds: 15 },
              { type: "Pods", value: 4, periodSeconds: 15 },
            ],
          },
          scaleDown: {
            stabilizationWindowSeconds: SCALE_DOWN_STABILIZATION_SECONDS,
            selectPolicy: "Max",
            policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
          },
        },
      },
    }),
  );
}
