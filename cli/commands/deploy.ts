import type { Command } from "commander";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import { ModelshipError } from "../../core/errors.ts";
import { deployVersion, describeRollout, openDeployment, serveUntilSignal } from "../shared/deployment.ts";
import { requireVersion } from "../../adapters/compare/baseline.ts";
import { emit, loadCommonConfig, withCommonOptions, type CommonOptions } from "../shared/options.ts";

type DeployOptions = CommonOptions & { env?: string; port?: string; serve: boolean; json?: boolean };

const log = (line: string) => process.stderr.write(`${line}\n`);

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `--port must be an integer from 0 to 65535, got '${text}'`,
      hint: "Use 0 for any free port.",
    });
  }
  return port;
}

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
    .option("--json", "print the rollout result as JSON");
}

/** `modelship up|deploy|rollback|status`: blue-green deploys on the local target. */
export function register(program: Command): void {
  withDeployOptions(
    program
      .command("up")
      .description("Start the router for an environment and serve what was live, in the foreground."),
  ).action(async (opts: DeployOptions) => {
    const { env, openRouter } = await openRepository(opts);
    const opened = await openRouter(true);
    if (!opened.owned)
      throw new ModelshipError({
        code: "router-already-running",
        message: `${env} is already served at ${opened.url}`,
      });
    const status = await opened.control.status();
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
  ).action(async (ref: string, opts: DeployOptions) => {
    const { config, repoDir, env, openRouter, openRegistry } = await openRepository(opts);
    const registry = await openRegistry();
    // Resolve first: an unknown version must not start a router.
    const version = await requireVersion(registry, config.model.name, ref);
    const opened = await openRouter(true);
    const result = await deployVersion({ control: opened.control, registry, repoDir, version, env });
    emit(opts.json, result, () => describeRollout(result));
    if (result.outcome !== "succeeded") process.exitCode = 1;
    if (opened.owned) {
      if (opts.serve) {
        log(`${env}: serving on ${opened.url} (Ctrl-C to stop)`);
        await serveUntilSignal(opened.owned, log);
      } else await opened.owned.close();
    }
  });

  withDeployOptions(
    program
      .command("rollback")
      .description("Redeploy the previous version (or the given one) through the same blue-green path."),
  )
    .argument("[version]", "version to return to (default: the one live before the current)")
    .action(async (ref: string | undefined, opts: DeployOptions) => {
      const { config, repoDir, env, openRouter, openRegistry } = await openRepository(opts);
      const registry = await openRegistry();
      const opened = await openRouter(false);
      let result;
      if (ref) {
        const version = await requireVersion(registry, config.model.name, ref);
        result = await deployVersion({ control: opened.control, registry, repoDir, version, env });
      } else {
        result = await opened.control.rollback();
        if (result.outcome === "succeeded") {
          await registry.setAlias(config.model.name, env, result.version, {
            now: new Date(),
            reason: `rollback (${result.id})`,
          });
        }
      }
      emit(opts.json, result, () => describeRollout(result));
      if (result.outcome !== "succeeded") process.exitCode = 1;
    });

  withDeployOptions(
    program.command("status").description("What is live in an environment, and the last rollouts."),
  ).action(async (opts: DeployOptions) => {
    const { env, openRouter } = await openRepository(opts);
    const opened = await openRouter(false);
    const s = await opened.control.status();
    emit(opts.json, s, () => {
      const lines = [
        `${env}: ${s.url}`,
        `  live:     ${s.active ? `v${s.active.version} on ${s.active.colour} since ${s.active.since}` : "nothing"}`,
        `  previous: ${s.previous ? `v${s.previous.version}` : "-"}`,
        ...s.history
          .slice(-5)
          .reverse()
          .map(
            (r) =>
              `  ${r.startedAt}  ${r.kind} v${r.version}  ${r.outcome ?? r.phase}${r.reason ? ` [${r.reason}]` : ""}`,
          ),
      ];
      return `${lines.join("\n")}\n`;
    });
  });
}
