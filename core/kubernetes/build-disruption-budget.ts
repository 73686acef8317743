import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { namespaceOf } from "./kubernetes-inputs.ts";
import type { BuildContext } from "./kubernetes-inputs.ts";
import { kubernetesNames, LABELS, labelValue, modelSelector } from "./kubernetes-names.ts";
import { validated } from "./validated.ts";

/** Keeps `minAvailable` serving pods of the model (either colour) through voluntary disruptions. */
export function buildDisruptionBudget(ctx: BuildContext, opts: { modelName: string }): PodDisruptionBudget {
  return validated(
    new PodDisruptionBudget({
      metadata: {
        name: kubernetesNames(opts.modelName).disruptionBudget,
        namespace: namespaceOf(ctx),
        labels: {
          [LABELS.app]: "modelship",
          [LABELS.model]: labelValue(opts.modelName),
          [LABELS.environment]: labelValue(ctx.environment),
          [LABELS.managedBy]: "modelship",
        },
      },
      spec: {
        minAvailable: ctx.kubernetes.minAvailable,
        selector: { matchLabels: modelSelector(opts.modelName) },
      },
    }),
  );
}
