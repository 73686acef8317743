import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { KubernetesState } from "../../core/kubernetes/kubernetes-state.ts";
import { fetchedModelUri, type ModelFetch, type ModelSource } from "../../core/kubernetes/model-source.ts";
import type { DeployTarget } from "../../core/rollout/deploy-target.ts";
import {
  deployKubernetes,
  readKubernetesState,
  resumeKubernetes,
  rollbackKubernetes,
  type KubernetesRolloutResult,
} from "./deploy-kubernetes.ts";

/** Where an image that carries its model holds it, when no registry is reachable from the pods. */
export const KUBERNETES_MODEL_URI = "/models/model";

/**
 * The `kubernetes` target: every traffic strategy through the cluster's API with the kubeconfig in KUBECONFIG
 * (or ~/.kube/config, or the pod's service account). Import it only when a deploy needs it, so
 * other commands never load the Kubernetes client.
 */
export async function openKubernetesTarget(
  o: TargetInput & {
    /** Where pods fetch versions from; default: the GitHub Releases of GITHUB_REPOSITORY when set. */
    modelSource?: ModelSource;
  },
): Promise<DeployTarget> {
  const { config } = o;
  const base = await targetOptions(o);
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
      if (source === undefined) {
        // Without a registry the pods can reach, only the opt-in per-version image can carry the model.
        if (config.deploy.kubernetes.versionImage === null) throw sourceMissing(version.version);
        return { name, version: version.version, modelDir: KUBERNETES_MODEL_URI };
      }
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

type TargetInput = {
  env: NodeJS.ProcessEnv;
  config: Config;
  environment: string;
  now: () => Date;
  log: (line: string) => void;
  /** Already loaded (tests, or a caller that built one); default: from `env`. */
  kubeConfig?: KubeConfig;
};

/** The options every rollout on the environment runs with: cluster, gates, batching, log of transitions. */
async function targetOptions(o: TargetInput) {
  return {
    kubeConfig: o.kubeConfig ?? (await loadKubeConfig(o.env)),
    config: o.config.deploy,
    batching: o.config.serve.batching,
    monitoring: o.config.monitoring,
    env: o.environment,
    now: o.now,
    onTransition: (e: { from: string; to: string; accepted: boolean; event: string }) => {
      if (e.accepted && e.from !== e.to) o.log(`  ${e.from} → ${e.to} (${e.event})`);
    },
  };
}

/**
 * `modelship promote` / `modelship abort` on the kubernetes target: moves on the split a held
 * canary, A/B or shadow left on the cluster (all traffic to the new version, or back to the live one).
 */
export async function resumeKubernetesTarget(
  o: TargetInput & { action: "promote" | "abort" },
): Promise<KubernetesRolloutResult> {
  return resumeKubernetes({ ...(await targetOptions(o)), modelName: o.config.model.name, action: o.action });
}

function sourceMissing(version: string): ModelshipError {
  return new ModelshipError({
    code: "model-source-missing",
    message: `the cluster cannot fetch version ${version}: no registry the pods can reach is known (GITHUB_REPOSITORY is not set) and deploy.kubernetes.versionImage is null`,
    hint: "Deploy from a workflow (the Action sets GITHUB_REPOSITORY), or opt in to an image per version that carries its model: deploy.kubernetes.versionImage: ghcr.io/acme/iris:{version}.",
  });
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
