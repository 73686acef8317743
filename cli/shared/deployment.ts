import { join } from "node:path";
import { connectLocalDeployment } from "../../adapters/deploy-local/connect-local-deployment.ts";
import {
  startLocalDeployment,
  type DeploymentControl,
  type LocalDeployment,
  type RolloutResult,
} from "../../adapters/deploy-local/start-local-deployment.ts";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { ModelVersion, Registry } from "../../core/registry/registry-port.ts";
import { materializeCached } from "../../adapters/compare/baseline.ts";

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
  const owned = await startLocalDeployment({
    env: opts.env,
    port: opts.port,
    stateDir,
    config: opts.config.deploy,
    restore: true,
    ...(opts.log
      ? {
          onTransition: (_id, e) => {
            if (e.accepted) opts.log?.(`  ${e.from} → ${e.to}${e.note ? `: ${e.note}` : ""}`);
          },
        }
      : {}),
  });
  return { control: owned, url: owned.url, owned };
}

/** Blue-green deploys a registered version and, once it is live, points the environment's alias at it. */
export async function deployVersion(opts: {
  control: DeploymentControl;
  registry: Registry;
  repoDir: string;
  version: ModelVersion;
  env: string;
}): Promise<RolloutResult> {
  const modelDir = await materializeCached(opts.registry, opts.repoDir, opts.version);
  const result = await opts.control.deploy({
    version: opts.version.version,
    modelDir,
    name: opts.version.name,
  });
  if (result.outcome === "succeeded") {
    await opts.registry.setAlias(opts.version.name, opts.env, opts.version.version, {
      now: new Date(),
      reason: `deployed (${result.id})`,
    });
  }
  return result;
}

/** One paragraph on how a rollout ended. */
export function describeRollout(r: RolloutResult): string {
  const head =
    r.outcome === "succeeded"
      ? `✔ ${r.kind} of v${r.version} succeeded: ${r.colour} is live${r.fromVersion ? ` (was v${r.fromVersion})` : ""}`
      : `✘ ${r.kind} of v${r.version} ${r.outcome} [${r.reason ?? "unknown"}]${r.fromVersion ? `; v${r.fromVersion} keeps serving` : ""}`;
  return `${head}\n  ${r.message}\n`;
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
