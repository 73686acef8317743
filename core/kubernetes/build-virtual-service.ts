import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1";
import { namespaceOf } from "./kubernetes-inputs.ts";
import type { BuildContext } from "./kubernetes-inputs.ts";
import { kubernetesNames, LABELS, labelValue } from "./kubernetes-names.ts";
import { validated } from "./validated.ts";

/** The header that pins a request to the candidate under Istio (A/B): `x-modelship-variant: candidate`. */
export const VARIANT_HEADER = "x-modelship-variant";

/** Name of the weighted route, the one Argo Rollouts rewrites at every step. */
export const PRIMARY_ROUTE = "primary";

/**
 * How the VirtualService shares requests between the stable and the candidate Service: `split`
 * sends `weight`% to the candidate (requests carrying the variant header always, when
 * `pinByHeader`), `shadow` answers every request from stable and mirrors `weight`% to the candidate.
 */
export type VirtualServiceTraffic = {
  mode: "split" | "shadow";
  stableHost: string;
  candidateHost: string;
  weight: number;
  pinByHeader?: boolean;
};

/**
 * The Istio VirtualService in front of a model's Service. Under Argo Rollouts the controller owns
 * the weights of the `primary` route and adds its managed routes (header, mirror) above it; without
 * Argo, the kubernetes target rewrites this object at every step.
 */
export function buildVirtualService(
  ctx: BuildContext,
  opts: { modelName: string; traffic: VirtualServiceTraffic },
): VirtualService {
  const names = kubernetesNames(opts.modelName);
  const t = opts.traffic;
  const istio = ctx.kubernetes.istio;
  const port = { number: ctx.kubernetes.port };
  const to = (host: string, weight: number) => ({ destination: { host, port }, weight });
  const candidateShare = t.mode === "split" ? clampPercent(t.weight) : 0;
  const primary = {
    name: PRIMARY_ROUTE,
    route: [to(t.stableHost, 100 - candidateShare), to(t.candidateHost, candidateShare)],
    ...(t.mode === "shadow"
      ? {
          mirror: { host: t.candidateHost, port },
          mirrorPercentage: { value: clampPercent(t.weight) },
        }
      : {}),
  };
  const pinned =
    t.mode === "split" && t.pinByHeader
      ? [
          {
            name: "variant-header",
            match: [{ headers: { [VARIANT_HEADER]: { exact: "candidate" } } }],
            route: [{ destination: { host: t.candidateHost, port } }],
          },
        ]
      : [];
  return validated(
    new VirtualService({
      metadata: {
        name: names.virtualService,
        namespace: namespaceOf(ctx),
        labels: {
          [LABELS.app]: "modelship",
          [LABELS.model]: labelValue(opts.modelName),
          [LABELS.environment]: labelValue(ctx.environment),
          [LABELS.managedBy]: "modelship",
        },
      },
      spec: {
        hosts: [names.service, ...istio.hosts],
        // Bound to gateways, a VirtualService no longer applies inside the mesh unless `mesh` is listed.
        ...(istio.gateways.length > 0 ? { gateways: [...istio.gateways, "mesh"] } : {}),
        http: [...pinned, primary],
      },
    }),
  );
}

function clampPercent(p: number): number {
  return Math.min(100, Math.max(0, Math.round(p)));
}
