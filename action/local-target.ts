import { spawn } from "node:child_process";
import { mkdir, open } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  connectLocalDeployment,
  type RemoteDeployment,
} from "../adapters/deploy-local/connect-local-deployment.ts";
import { localTarget } from "../adapters/deploy-local/local-target.ts";
import type { Config } from "../core/config/schema.ts";
import { formatProblem, ModelshipError } from "../core/errors.ts";
import type { Registry } from "../core/registry/registry-port.ts";
import type { DeployTarget } from "../core/rollout/deploy-target.ts";
import type { CommandContext } from "./command-context.ts";
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
  registry: Registry,
): Promise<DeployTarget> {
  const { home, stateDir } = localStateDir(ctx);
  const control = await connectOrStart(ctx, config, { home, stateDir, environment });
  return localTarget({
    control,
    registry,
    home,
    url: control.url,
    // A cached copy that no longer matches its digests is fetched again; the job log says so.
    warn: (p) => ctx.log(`modelship: warning: ${formatProblem(p)}`),
  });
}

/** Where the local target keeps its state on this runner (MODELSHIP_HOME, default: the workspace). */
export function localStateDir(ctx: CommandContext): { home: string; stateDir: string } {
  const home = resolve(ctx.action.workspace, ctx.env["MODELSHIP_HOME"] ?? ".");
  return { home, stateDir: join(home, ".modelship", "deploy") };
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
