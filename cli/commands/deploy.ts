import type { Command } from "commander";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import { ModelshipError } from "../../core/errors.ts";
import { readDeployState } from "../../adapters/deploy-local/deploy-state-file.ts";
import {
  deployStateDir,
  assertLocalTarget,
  describeRollout,
  kubernetesStatus,
  openDeployment,
  runDeploy,
  serveUntilSignal,
  type OpenedDeployment,
} from "../shared/deployment.ts";
import { describeStatus, stoppedStatus, type EnvironmentStatus } from "../shared/environment-status.ts";
import { info } from "../shared/output.ts";
import type { DeployVersionResult } from "../../core/rollout/deploy-version.ts";
import {
  emit,
  loadCommonConfig,
  parsePort,
  withCommonOptions,
  type CommonOptions,
} from "../shared/options.ts";

type DeployOptions = CommonOptions & { env?: string; port?: string; serve: boolean; json?: boolean };

const log = info;

/** The repository a command acts on: its config and environment, and ways to its registry and router. */
async function openRepository(opts: DeployOptions) {
  const { config, repoDir } = await loadCommonConfig(opts);
  const env = opts.env ?? config.deploy.environment;
  const port = parsePort(opts.port, config.deploy.port);
  // The router running for the environment, or (when allowed) a new one in this process.
  const openRouter = (startIfMissing: boolean) =>
    openDeployment({ config, repoDir, env, port, startIfMissing, log });
  // Only deploy and rollback read the registry: `up` and `status` also work outside a git repository.
  const openRegistry = () => openGitRegistry({ repoDir, tagFormat: config.registry.tagFormat });
  return { config, repoDir, env, openRouter, openRegistry };
}

function withDeployOptions(cmd: Command): Command {
  return withCommonOptions(cmd)
    .option("-e, --env <name>", "environment (default: deploy.environment from the config)")
    .option("-p, --port <n>", "public port when this command starts the router (default: deploy.port)")
    .option(
      "--no-serve",
      "when this command had to start the router, stop it after the rollout instead of serving",
    )
    .option("--json", "print the result (the status, or the rollout) as JSON");
}

/** `modelship up|deploy|rollback|status`: blue-green deploys on the local target. */
export function register(program: Command): void {
  withDeployOptions(
    program
      .command("up")
      .description("Start the router for an environment and serve what was live, in the foreground."),
  ).action(async (opts: DeployOptions) => {
    const { config, env, openRouter } = await openRepository(opts);
    assertLocalTarget(config, "up");
    const opened = await openRouter(true);
    if (!opened.owned)
      throw new ModelshipError({
        code: "router-already-running",
        message: `${env} is already served at ${opened.url}`,
      });
    const status = await opened.control.status();
    // --json: the same document `status --json` prints, once the router listens.
    if (opts.json) emit(true, { ...status, serving: true }, () => "");
    else
      log(
        `${env}: serving on ${opened.url}${status.active ? ` (v${status.active.version})` : " (nothing deployed yet)"}`,
      );
    await serveUntilSignal(opened.owned, log);
  });

  withDeployOptions(
    program
      .command("deploy")
      .description(
        "Blue-green deploy a registered version: start the idle colour, check it, switch, roll back on failure.",
      )
      .argument("[version]", "version, `latest` or alias", "latest"),
  ).action((ref: string, opts: DeployOptions) => deployAndServe("deploy", ref, opts));

  withDeployOptions(
    program
      .command("rollback")
      .description("Redeploy the previous version (or the given one) through the same blue-green path."),
  )
    .argument("[version]", "version to return to (default: the one live before the current)")
    .action((ref: string | undefined, opts: DeployOptions) => deployAndServe("rollback", ref, opts));

  withDeployOptions(
    program
      .command("status")
      .description(
        "What is live in an environment and the last rollouts; with no router running, what was live last.",
      ),
  ).action(async (opts: DeployOptions) => {
    const { config, env, repoDir, openRouter } = await openRepository(opts);
    if (config.deploy.target === "kubernetes") {
      const k = await kubernetesStatus(config, env);
      emit(opts.json, k, () =>
        [
          `${env}: kubernetes (namespace ${k.namespace})`,
          `  live:      ${k.active ? `v${k.active}` : "nothing"}`,
          `  previous:  ${k.previous ? `v${k.previous}` : "-"}`,
          "",
        ].join("\n"),
      );
      return;
    }
    const s = await environmentStatus(env, repoDir, openRouter);
    emit(opts.json, s, () => describeStatus(env, s));
  });
}

/** Deploy or roll back through the configured target, report, then serve or stop a router it started. */
async function deployAndServe(
  kind: "deploy" | "rollback",
  ref: string | undefined,
  opts: DeployOptions,
): Promise<void> {
  const { config, repoDir, env, openRouter, openRegistry } = await openRepository(opts);
  const registry = await openRegistry();
  const { result, opened } = await runDeploy({ config, repoDir, env, kind, ref, registry, openRouter, log });
  report(opts, result);
  await serveOrClose(opts, env, opened);
}

/** A router this command started keeps serving in the foreground, or stops with --no-serve. */
async function serveOrClose(
  opts: DeployOptions,
  env: string,
  opened: OpenedDeployment | null,
): Promise<void> {
  if (!opened?.owned) return;
  if (opts.serve) {
    log(`${env}: serving on ${opened.url} (Ctrl-C to stop)`);
    await serveUntilSignal(opened.owned, log);
  } else await opened.owned.close();
}

/** Prints how the rollout ended; exit code 1 unless it succeeded and the alias names it. */
function report(opts: DeployOptions, r: DeployVersionResult): void {
  emit(opts.json, { ...r.rollout, ...(r.aliasError ? { aliasError: r.aliasError } : {}) }, () =>
    describeRollout(r.rollout, r.aliasError),
  );
  if (r.rollout.outcome !== "succeeded" || r.aliasError) process.exitCode = 1;
}

/** The running router's status, or the state file's record when no router answers. */
async function environmentStatus(
  env: string,
  repoDir: string,
  openRouter: (startIfMissing: boolean) => Promise<OpenedDeployment>,
): Promise<EnvironmentStatus> {
  try {
    const opened = await openRouter(false);
    return { ...(await opened.control.status()), serving: true };
  } catch (err) {
    if (!(err instanceof ModelshipError && err.code === "router-not-running")) throw err;
    return stoppedStatus(await readDeployState(deployStateDir(repoDir), env, new Date()));
  }
}
