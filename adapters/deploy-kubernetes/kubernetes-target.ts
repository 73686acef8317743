import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { KubernetesState } from "../../core/kubernetes/kubernetes-state.ts";
import { fetchedModelUri, type ModelFetch, type ModelSource } from "../../core/kubernetes/model-source.ts";
import type { DeployTarget } from "../../core/rollout/deploy-target.ts";
import { deployKubernetes, readKubernetesState, rollbackKubernetes } from "./deploy-kubernetes.ts";

/** Where an image that carries its model holds it, when no registry is reachable from the pods. */
export const KUBERNETES_MODEL_URI = "/models/model";

/**
 * The `kubernetes` target: every traffic strategy through the cluster's API with the kubeconfig in KUBECONFIG
 * (or ~/.kube/config, or the pod's service account). Import it only when a deploy needs it, so
 * other commands never load the Kubernetes client.
 */
export async function openKubernetesTarget(o: {
  env: NodeJS.ProcessEnv;
  config: Config;
  environment: string;
  now: () => Date;
  log: (line: string) => void;
  /** Already loaded (tests, or a caller that built one); default: from `env`. */
  kubeConfig?: KubeConfig;
  /** Where pods fetch versions from; default: the GitHub Releases of GITHUB_REPOSITORY when set. */
  modelSource?: ModelSource;
}): Promise<DeployTarget> {
  const { config, environment } = o;
  const kubeConfig = o.kubeConfig ?? (await loadKubeConfig(o.env));
  const base = {
    kubeConfig,
    config: config.deploy,
    batching: config.serve.batching,
    env: environment,
    now: o.now,
    onTransition: (e: { from: string; to: string; accepted: boolean; event: string }) => {
      if (e.accepted && e.from !== e.to) o.log(`  ${e.from} → ${e.to} (${e.event})`);
    },
  };
  const name = config.model.name;
  let state: Promise<KubernetesState | null> | undefined;
  const read = () => (state ??= readKubernetesState({ ...base, modelName: name }));
  const source = o.modelSource ?? githubSource(o.env, config.registry.tagFormat);
  // The digests each version had in the registry when it was materialised: the pods check them.
  const pinned = new Map<string, ModelFetch>();
  return {
    liveVersion: async () => (await read())?.active?.version ?? null,
    previousVersion: async () => (await read())?.previous?.version,
    materialise: async (version) => {
      // Without a registry the pods can reach, the serving image must carry the model itself.
      if (source === undefined) return { name, version: version.version, modelDir: KUBERNETES_MODEL_URI };
      pinned.set(version.version, { source, artifacts: version.artifacts.map((a) => ({ ...a })) });
      return { name, version: version.version, modelDir: fetchedModelUri(name, version.version) };
    },
    deploy: async (target, plan) =>
      deployKubernetes({
        ...base,
        ...(plan === undefined ? {} : { plan }),
        model: {
          name,
          version: target.version,
          modelUri: target.modelDir,
          fetch: pinned.get(target.version),
        },
      }),
    rollback: async () => rollbackKubernetes({ ...base, modelName: name }),
  };
}

/** The workflow's own repository as the registry (GitHub Releases), as the Action's registry is. */
function githubSource(env: NodeJS.ProcessEnv, tagFormat: string): ModelSource | undefined {
  const repository = env["GITHUB_REPOSITORY"];
  if (!repository) return undefined;
  return {
    registry: "github",
    repository,
    apiUrl: env["GITHUB_API_URL"] || "https://api.github.com",
    tagFormat,
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
