import type { IRollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import type { Config } from "../config/schema.ts";
import { ModelshipError } from "../errors.ts";
import { namespaceOf } from "./kubernetes-inputs.ts";
import type { BuildContext, ServedModel } from "./kubernetes-inputs.ts";
import { kubernetesNames } from "./kubernetes-names.ts";
import { PRIMARY_ROUTE, VARIANT_HEADER } from "./build-virtual-service.ts";

type CanaryStrategy = NonNullable<NonNullable<IRollout["spec"]["strategy"]>["canary"]>;
type Step = NonNullable<CanaryStrategy["steps"]>[number];

/** The traffic settings of `deploy` a Rollout's strategy is built from. */
export type StrategyDeploy = Pick<Config["deploy"], "strategy" | "canary" | "ab" | "shadow">;

/** Names of the routes Argo Rollouts adds to the VirtualService above `primary`. */
export const MANAGED_ROUTES = { header: "variant-header", mirror: "shadow" } as const;

/**
 * Refuses a strategy the cluster settings cannot carry: a shadow copies requests with Istio's
 * mirror, which no Service can do.
 */
export function assertStrategySupported(ctx: BuildContext, deploy: Pick<StrategyDeploy, "strategy">): void {
  if (deploy.strategy !== "shadow" || ctx.kubernetes.trafficRouting === "istio") return;
  throw new ModelshipError({
    code: "config-invalid",
    message: "deploy.strategy shadow needs Istio: a Kubernetes Service cannot copy requests",
    hint: "Set deploy.kubernetes.trafficRouting: istio (the namespace must be in the mesh), or choose canary or ab.",
  });
}

/**
 * `spec.strategy.canary` of the Rollout for canary, A/B and shadow. Canary: `setWeight`/`pause`
 * per step of deploy.canary (a pause with no duration waits for `kubectl argo rollouts promote`).
 * A/B: a fixed weight paused until promoted, with a header route to the candidate under Istio.
 * Shadow: the candidate at full size with no weight, `percent`% of inference requests mirrored to
 * it. The canary AnalysisTemplate runs in the background from the first step on.
 */
export function buildCanaryStrategy(
  ctx: BuildContext,
  opts: { model: ServedModel; deploy: StrategyDeploy; analysis: boolean },
): CanaryStrategy {
  assertStrategySupported(ctx, opts.deploy);
  const names = kubernetesNames(opts.model.name);
  const istio = ctx.kubernetes.trafficRouting === "istio";
  const steps = strategySteps(ctx, opts.deploy);
  const managed = steps.flatMap((s) =>
    s.setHeaderRoute?.name ? [s.setHeaderRoute.name] : s.setMirrorRoute ? [s.setMirrorRoute.name] : [],
  );
  // Analysis starts with the first step that puts the candidate in front of requests.
  const startingStep =
    steps.findIndex((s) => s.setWeight !== undefined || s.setMirrorRoute !== undefined) + 1;
  return {
    canaryService: names.canaryService,
    stableService: names.service,
    ...(istio
      ? {
          trafficRouting: {
            istio: { virtualService: { name: names.virtualService, routes: [PRIMARY_ROUTE] } },
            ...(managed.length > 0 ? { managedRoutes: managed.map((name) => ({ name })) } : {}),
          },
        }
      : {}),
    steps,
    ...(opts.analysis
      ? {
          analysis: {
            templates: [{ templateName: names.analysisCanary }],
            startingStep,
            args: [
              { name: "service", value: names.canaryService },
              { name: "namespace", value: namespaceOf(ctx) },
              { name: "port", value: String(ctx.kubernetes.port) },
              { name: "model", value: opts.model.name },
              { name: "version", value: opts.model.version },
            ],
          },
        }
      : {}),
  };
}

function strategySteps(ctx: BuildContext, d: StrategyDeploy): Step[] {
  const istio = ctx.kubernetes.trafficRouting === "istio";
  switch (d.strategy) {
    case "blue-green":
      throw new Error("blue-green is the Rollout's blueGreen strategy, not a canary");
    case "canary": {
      const pause: Step =
        d.canary.pauseSeconds === null ? { pause: {} } : { pause: { duration: `${d.canary.pauseSeconds}s` } };
      // Argo promotes fully after the last step, so a step of 100 needs no step of its own.
      return d.canary.steps.filter((w) => w < 100).flatMap((w) => [{ setWeight: w }, pause]);
    }
    case "ab":
      return [
        ...(istio
          ? [
              {
                setHeaderRoute: {
                  name: MANAGED_ROUTES.header,
                  match: [{ headerName: VARIANT_HEADER, headerValue: { exact: "candidate" } }],
                },
              },
            ]
          : []),
        { setWeight: d.ab.weight },
        { pause: {} },
      ];
    case "shadow":
      return [
        { setCanaryScale: { replicas: ctx.kubernetes.replicas } },
        {
          setMirrorRoute: {
            name: MANAGED_ROUTES.mirror,
            percentage: d.shadow.percent,
            match: [{ method: { exact: "POST" }, path: { prefix: "/v2/models/" } }],
          },
        },
        { pause: {} },
      ];
  }
}
