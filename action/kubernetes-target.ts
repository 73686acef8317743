import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import {
  deployKubernetes,
  readKubernetesState,
  rollbackKubernetes,
  type KubernetesRolloutResult,
} from "../adapters/deploy-kubernetes/deploy-kubernetes.ts";
import type { Config } from "../core/config/schema.ts";
import { ModelshipError } from "../core/errors.ts";
import type { KubernetesState } from "../core/kubernetes/kubernetes-state.ts";
import type { CommandContext } from "./command-context.ts";
import type { DeployTarget, TargetRollout } from "./deploy-target.ts";

/** Where the serving image holds the model (templates/docker/Dockerfile.serve copies it there). */
export const KUBERNETES_MODEL_URI = "/models/model";

/**
 * The `kubernetes` target: blue-green through the cluster's API with the kubeconfig in KUBECONFIG
 * (or ~/.kube/config, or the pod's service account). Loaded only when a deploy needs it, so the
 * other commands never load the Kubernetes client.
 */
export async function openKubernetesTarget(
  ctx: CommandContext,
  config: Config,
  environment: string,
): Promise<DeployTarget> {
  const kubeConfig = await loadKubeConfig(ctx.env);
  const base = {
    kubeConfig,
    config: config.deploy,
    env: environment,
    now: ctx.now,
    onTransition: (e: { from: string; to: string; accepted: boolean; event: string }) => {
      if (e.accepted && e.from !== e.to) ctx.log(`  ${e.from} → ${e.to} (${e.event})`);
    },
  };
  const name = config.model.name;
  let state: Promise<KubernetesState | null> | undefined;
  const read = () => (state ??= readKubernetesState({ ...base, modelName: name }));
  const toTarget = (r: KubernetesRolloutResult): TargetRollout => ({
    outcome: r.outcome,
    reason: r.reason,
    message: r.message,
    version: r.version,
    fromVersion: r.fromVersion,
    url: undefined,
  });
  return {
    liveVersion: async () => (await read())?.active?.version ?? null,
    previousVersion: async () => (await read())?.previous?.version,
    deploy: async (_registry, version) =>
      toTarget(
        await deployKubernetes({
          ...base,
          model: { name, version: version.version, modelUri: KUBERNETES_MODEL_URI },
        }),
      ),
    rollbackToPrevious: async () => toTarget(await rollbackKubernetes({ ...base, modelName: name })),
  };
}

async function loadKubeConfig(env: NodeJS.ProcessEnv): Promise<KubeConfig> {
  const file = env["KUBECONFIG"] || join(env["HOME"] ?? homedir(), ".kube", "config");
  const haveFile = await access(file).then(
    () => true,
    () => false,
  );
  if (!haveFile && !env["KUBERNETES_SERVICE_HOST"]) {
    throw new ModelshipError({
      code: "kubeconfig-missing",
      message: `no kubeconfig: KUBECONFIG is ${env["KUBECONFIG"] ? `'${env["KUBECONFIG"]}', which does not exist` : "not set"} and the job does not run in a cluster`,
      hint: "Write the cluster's kubeconfig to a file and export KUBECONFIG before this step (the kubernetes deploy template does this from a secret).",
    });
  }
  const kc = new KubeConfig();
  try {
    if (haveFile) kc.loadFromFile(file);
    else kc.loadFromCluster();
  } catch (err) {
    throw new ModelshipError({
      code: "kubeconfig-invalid",
      message: `cannot read the kubeconfig ${haveFile ? file : "of the pod"}: ${(err as Error).message}`,
      hint: "Check the kubeconfig secret: it must be a complete kubeconfig YAML with a current context.",
    });
  }
  return kc;
}
