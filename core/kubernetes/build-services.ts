import { Service } from "kubernetes-models/v1";
import type { Colour } from "../rollout/rollout-types.ts";
import { namespaceOf } from "./kubernetes-inputs.ts";
import type { BuildContext } from "./kubernetes-inputs.ts";
import {
  colourSelector,
  kubernetesNames,
  LABELS,
  labelValue,
  PORT_NAME,
  STATE_ANNOTATION,
} from "./kubernetes-names.ts";
import { validated } from "./validated.ts";

type ServiceOptions = {
  modelName: string;
  /**
   * The colour the Service sends traffic to; null selects every pod of the model (Argo Rollouts
   * narrows it itself; a replica-weighted split spans both colours).
   */
  colour: Colour | null;
  /** The rollout state to record on the Service (see `renderKubernetesState`). */
  state?: string;
};

/** The Service clients use: its selector names the live colour. */
export function buildService(ctx: BuildContext, opts: ServiceOptions): Service {
  return service(ctx, kubernetesNames(opts.modelName).service, "active", opts);
}

/** The Service that reaches the idle colour, for checks before the switch. */
export function buildPreviewService(ctx: BuildContext, opts: Omit<ServiceOptions, "state">): Service {
  return service(ctx, kubernetesNames(opts.modelName).previewService, "preview", opts);
}

/** The Service Argo Rollouts points at the canary pods (it adds their pod-template hash to the selector). */
export function buildCanaryService(ctx: BuildContext, opts: { modelName: string }): Service {
  return service(ctx, kubernetesNames(opts.modelName).canaryService, "canary", { ...opts, colour: null });
}

function service(ctx: BuildContext, name: string, role: string, opts: ServiceOptions): Service {
  const selector = opts.colour
    ? colourSelector(opts.modelName, opts.colour)
    : { [LABELS.app]: "modelship", [LABELS.model]: labelValue(opts.modelName) };
  return validated(
    new Service({
      metadata: {
        name,
        namespace: namespaceOf(ctx),
        labels: {
          [LABELS.app]: "modelship",
          [LABELS.model]: labelValue(opts.modelName),
          [LABELS.environment]: labelValue(ctx.environment),
          [LABELS.managedBy]: "modelship",
          "modelship.dev/role": role,
        },
        ...(opts.state === undefined ? {} : { annotations: { [STATE_ANNOTATION]: opts.state } }),
      },
      spec: {
        type: "ClusterIP",
        selector,
        ports: [{ name: PORT_NAME, port: ctx.kubernetes.port, targetPort: PORT_NAME, protocol: "TCP" }],
      },
    }),
  );
}
