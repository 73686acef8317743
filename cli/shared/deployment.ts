import { join } from "node:path";
import { connectLocalDeployment } from "../../adapters/deploy-local/connect-local-deployment.ts";
import {
  startLocalDeployment,
  type DeploymentControl,
  type LocalDeployment,
  type RolloutResult,
} from "../../runners/router/start-local-deployment.ts";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { predictionLogArgs } from "../../core/config/prediction-log-args.ts";
import type { Registry } from "../../core/registry/registry-port.ts";
import type { DeployTarget } from "../../core/rollout/deploy-target.ts";
import type { TrafficPlan } from "../../core/rollout/rollout-types.ts";
import { planDeployVersion } from "../../core/rollout/deploy-version.ts";
import type { DeployVersionResult } from "../../core/rollout/deploy-version.ts";
import { localTarget } from "../../adapters/deploy-local/local-target.ts";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";

export function deployStateDir(repoDir: string): string {
  return join(repoDir, ".modelship", "deploy");
}

export type OpenedDeployment = {
  control: DeploymentControl;
  url: string;
  /** Set when this process started the router (and must keep serving or close it). */
  owned: LocalDeployment | null;
};

/**
 * Finds the router serving an environment: one another process runs (`modelship up`/`run`),
 * else — when allowed — a new one in this process, restoring the version that was live.
 */
export async function openDeployment(opts: {
  config: Config;
  repoDir: string;
  env: string;
  port: number;
  startIfMissing: boolean;
  log?: (line: string) => void;
}): Promise<OpenedDeployment> {
  const stateDir = deployStateDir(opts.repoDir);
  try {
    const remote = await connectLocalDeployment(stateDir, opts.env);
    await remote.status();
    return { control: remote, url: remote.url, owned: null };
  } catch (err) {
    if (!(err instanceof ModelshipError && err.code === "router-not-running") || !opts.startIfMissing)
      throw err;
  }
  // A signal while the router restores what was live ends that rollout and stops its slots.
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // The dashboard on the router's admin port, for as long as this process serves.
  const { uiRequestHandler } = await import("../../ui/start-ui.ts");
  const page = uiRequestHandler({
    repoDir: opts.repoDir,
    config: opts.config,
    env: opts.env,
    stateDir,
  });
  const started = await startLocalDeployment({
    adminPage: page.handle,
    env: opts.env,
    port: opts.port,
    stateDir,
    config: opts.config.deploy,
    batching: opts.config.serve.batching,
    serverArgs: predictionLogArgs(opts.config.monitoring),
    restore: true,
    signal: interrupted.signal,
    onRevertedAfterPromotion: (live) => void aliasFollowsLive(opts, live),
    ...(opts.log
      ? {
          onTransition: (_id, e) => {
            if (e.accepted) opts.log?.(`  ${e.from} → ${e.to}${e.note ? `: ${e.note}` : ""}`);
          },
        }
      : {}),
  });
  const owned: LocalDeployment = {
    ...started,
    async close() {
      await started.close();
      await page.close();
    },
  };
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (interrupted.signal.aborted) {
    await owned.close();
    throw new ModelshipError({
      code: "deployment-closed",
      message: `stopped by a signal while the ${opts.env} router started; its slots are stopped`,
    });
  }
  return { control: owned, url: owned.url, owned };
}

/**
 * A version whose new slot crashed during the scale-down delay is switched back after `deploy`
 * already moved the alias to it: point the alias at what is live again.
 */
async function aliasFollowsLive(
  o: { config: Config; repoDir: string; env: string; log?: (line: string) => void },
  live: { version: string; rolloutId: string },
): Promise<void> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    const registry = await openGitRegistry({ repoDir: o.repoDir, tagFormat: o.config.registry.tagFormat });
    const { previous } = await registry.setAlias(o.config.model.name, o.env, live.version, {
      now: new Date(),
      reason: `switched back (${live.rolloutId})`,
    });
    if (previous !== live.version)
      log(`  alias ${o.env}: ${previous ?? "-"} → ${live.version} (switched back)`);
  } catch (err) {
    log(
      `warning: the ${o.env} alias was not moved back to ${live.version}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/**
 * Runs a deploy or rollback on the environment's target (`deploy.target`): the local router
 * (started here when none runs), or the Kubernetes cluster of the current kubeconfig. Resolving
 * the version comes first, so an unknown version starts nothing.
 */
export async function runDeploy(o: {
  config: Config;
  repoDir: string;
  env: string;
  kind: "deploy" | "rollback";
  ref: string | undefined;
  registry: Registry;
  openRouter: (startIfMissing: boolean) => Promise<OpenedDeployment>;
  log: (line: string) => void;
  /** How traffic moves to the version (the local target runs every strategy). */
  plan?: TrafficPlan;
}): Promise<{ result: DeployVersionResult; opened: OpenedDeployment | null }> {
  const common = {
    registry: o.registry,
    name: o.config.model.name,
    environment: o.env,
    kind: o.kind,
    now: () => new Date(),
    ...(o.plan ? { plan: o.plan } : {}),
  };
  if (o.config.deploy.target === "kubernetes") {
    const { openKubernetesTarget } = await import("../../adapters/deploy-kubernetes/kubernetes-target.ts");
    const { repositoryModelSource } =
      await import("../../adapters/deploy-kubernetes/repository-model-source.ts");
    // Pods fetch what they serve; a rollback to the previous version only moves the Service back.
    const fetches = o.kind === "deploy" || o.ref !== undefined;
    const source = fetches
      ? await repositoryModelSource({
          env: process.env,
          repoDir: o.repoDir,
          tagFormat: o.config.registry.tagFormat,
        })
      : undefined;
    const target = await openKubernetesTarget({
      env: process.env,
      config: o.config,
      environment: o.env,
      now: common.now,
      log: o.log,
      ...(source === undefined ? {} : { modelSource: source }),
    });
    const plan = await planDeployVersion({ ...common, target, ref: o.ref });
    return { result: await plan.run(), opened: null };
  }
  let opened: OpenedDeployment | null = null;
  const target = lazyLocal();
  // The router is opened only once the version resolved: an unknown version starts nothing.
  function lazyLocal(): DeployTarget {
    // A rollback with no router running starts one too (restoring what was live), as deploy does.
    const open = async () => {
      opened ??= await o.openRouter(true);
      return localTarget({ control: opened.control, registry: o.registry, home: o.repoDir, url: opened.url });
    };
    return {
      liveVersion: async () => (await open()).liveVersion(),
      previousVersion: async () => (await open()).previousVersion(),
      materialise: async (v) => (await open()).materialise(v),
      deploy: async (t, plan) => (await open()).deploy(t, plan),
      rollback: async () => (await open()).rollback(),
    };
  }
  const plan = await planDeployVersion({ ...common, target, ref: o.ref });
  return { result: await plan.run(), opened };
}

/**
 * A Kubernetes environment's status, read from the state its Service carries (`status` never
 * opens a local router for it).
 */
export async function kubernetesStatus(config: Config, env: string): Promise<KubernetesStatus> {
  const { openKubernetesTarget } = await import("../../adapters/deploy-kubernetes/kubernetes-target.ts");
  const target = await openKubernetesTarget({
    env: process.env,
    config,
    environment: env,
    now: () => new Date(),
    log: () => undefined,
  });
  return {
    environment: env,
    target: "kubernetes",
    namespace: config.deploy.kubernetes.namespace,
    active: await target.liveVersion(),
    previous: (await target.previousVersion()) ?? null,
  };
}

export type KubernetesStatus = {
  environment: string;
  target: "kubernetes";
  namespace: string;
  active: string | null;
  previous: string | null;
};

/** Commands that run the local router refuse an environment deployed to Kubernetes. */
export function assertLocalTarget(config: Config, command: string): void {
  if (config.deploy.target !== "kubernetes") return;
  throw new ModelshipError({
    code: "target-not-local",
    message: `\`modelship ${command}\` runs the local router, but deploy.target is kubernetes`,
    hint: "Deploy to the cluster with `modelship deploy VERSION` (or the deploy workflow), read it with `modelship status`; set deploy.target: local to serve on this machine.",
  });
}

/** One paragraph on how a rollout ended, or on the split it holds. */
export function describeRollout(r: RolloutResult, aliasError: string | null = null): string {
  if (r.outcome === "holding") {
    return [
      `◐ ${r.strategy ?? "split"} of v${r.version} holds: ${r.message}`,
      `  v${r.fromVersion ?? "?"} stays stable; \`modelship promote\` moves all traffic, \`modelship abort\` returns it; \`modelship ab report\` compares them`,
      "",
    ].join("\n");
  }
  const head =
    r.outcome === "succeeded"
      ? `✔ ${r.kind} of v${r.version} succeeded: ${r.colour} is live${r.fromVersion ? ` (was v${r.fromVersion})` : ""}`
      : `✘ ${r.kind} of v${r.version} ${r.outcome} [${r.reason ?? "unknown"}]${r.fromVersion ? `; v${r.fromVersion} keeps serving` : ""}`;
  const alias = aliasError ? `  warning: the alias was not moved: ${aliasError}\n` : "";
  return `${head}\n  ${r.message}\n${alias}`;
}

/** Keeps this process serving until Ctrl-C or SIGTERM, then stops both slots and the router. */
export function serveUntilSignal(owned: LocalDeployment, log: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: stopping`);
      owned.close().then(resolve, resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}
