import { spawn } from "node:child_process";
import { mkdir, open, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  connectLocalDeployment,
  type RemoteDeployment,
} from "../adapters/deploy-local/connect-local-deployment.ts";
import type { RolloutResult } from "../adapters/deploy-local/start-local-deployment.ts";
import type { Config } from "../core/config/schema.ts";
import { ModelshipError } from "../core/errors.ts";
import type { CommandContext } from "./command-context.ts";
import type { DeployTarget, TargetRollout } from "./deploy-target.ts";
import { resolveModelshipCli, withoutCredentials } from "./resolve-cli.ts";

const ROUTER_START_TIMEOUT_MS = 60_000;

/**
 * The `local` target on this runner: the blue-green router of `modelship up`, driven through its
 * loopback admin surface. State lives under MODELSHIP_HOME (default: the workspace)/.modelship,
 * so a router on a self-hosted runner outlives the job. When none runs, one is started with the
 * `modelship` CLI (which carries onnxruntime-node), detached from the job.
 */
export async function openLocalTarget(
  ctx: CommandContext,
  config: Config,
  environment: string,
): Promise<DeployTarget> {
  const home = resolve(ctx.action.workspace, ctx.env["MODELSHIP_HOME"] ?? ".");
  const stateDir = join(home, ".modelship", "deploy");
  const control = await connectOrStart(ctx, config, { home, stateDir, environment });
  const toTarget = (r: RolloutResult): TargetRollout => ({
    outcome: r.outcome,
    reason: r.reason,
    message: r.message,
    version: r.version,
    fromVersion: r.fromVersion ?? null,
    url: control.url,
  });
  return {
    async liveVersion() {
      return (await control.status()).active?.version ?? null;
    },
    async previousVersion() {
      return (await control.status()).previous?.version;
    },
    async deploy(registry, version) {
      const modelDir = join(home, ".modelship", "versions", version.name, version.version);
      const ready = await stat(join(modelDir, "run.json")).then(
        () => true,
        () => false,
      );
      if (!ready) await registry.materialize(version.name, version.version, modelDir);
      return toTarget(await control.deploy({ name: version.name, version: version.version, modelDir }));
    },
    async rollbackToPrevious() {
      return toTarget(await control.rollback());
    },
  };
}

async function connectOrStart(
  ctx: CommandContext,
  config: Config,
  o: { home: string; stateDir: string; environment: string },
): Promise<RemoteDeployment> {
  const connect = async () => {
    const remote = await connectLocalDeployment(o.stateDir, o.environment);
    await remote.status();
    return remote;
  };
  try {
    return await connect();
  } catch (err) {
    if (!(err instanceof ModelshipError && err.code === "router-not-running")) throw err;
  }
  const cli = await resolveModelshipCli({
    env: ctx.env,
    workspace: ctx.action.workspace,
    toolCacheDir: ctx.env["RUNNER_TOOL_CACHE"] ?? join(ctx.action.tempDir, "tool-cache"),
    log: ctx.log,
  });
  await mkdir(o.stateDir, { recursive: true });
  const logFile = join(o.stateDir, `${o.environment}.router.log`);
  const out = await open(logFile, "a");
  ctx.log(
    `modelship: no router for ${o.environment}; starting \`modelship up\` (${cli.source}), log ${logFile}`,
  );
  const child = spawn(
    cli.node,
    [
      cli.entry,
      "up",
      "--env",
      o.environment,
      "--config",
      resolve(ctx.action.workspace, ctx.inputs.config),
      "--repo",
      o.home,
      "--port",
      String(config.deploy.port),
    ],
    {
      cwd: o.home,
      detached: true,
      stdio: ["ignore", out.fd, out.fd],
      // An empty RUNNER_TRACKING_ID keeps the runner from ending the router when the job ends.
      env: { ...withoutCredentials(ctx.env), RUNNER_TRACKING_ID: "" },
    },
  );
  child.unref();
  await out.close();
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  const deadline = Date.now() + ROUTER_START_TIMEOUT_MS;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    try {
      return await connect();
    } catch (err) {
      if (!(err instanceof ModelshipError && err.code === "router-not-running")) throw err;
    }
    if (exited !== undefined || Date.now() > deadline) {
      throw new ModelshipError({
        code: "router-not-running",
        message: `\`modelship up --env ${o.environment}\` ${exited !== undefined ? `exited with ${exited ?? "a signal"}` : "did not start within 60 s"}; see ${logFile}`,
        hint: "On a self-hosted runner, run `modelship up` as a service (MODELSHIP_HOME pointing at its directory) so deploys reach it.",
      });
    }
  }
}
