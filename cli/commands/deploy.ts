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
import type { TrafficStrategy } from "../../core/config/traffic-schema.ts";
import { trafficPlan } from "../../core/rollout/traffic-plan.ts";
import type { TrafficOverride } from "../../core/rollout/traffic-plan.ts";
import type { DeployVersionResult } from "../../core/rollout/deploy-version.ts";
import {
  emit,
  loadCommonConfig,
  parsePort,
  withCommonOptions,
  type CommonOptions,
} from "../shared/options.ts";

type DeployOptions = CommonOptions & {
  env?: string;
  port?: string;
  serve: boolean;
  json?: boolean;
  strategy?: string;
  canary?: string;
  pause?: string;
  ab?: string;
  shadow?: string;
};

const log = info;
const TRAFFIC_STRATEGIES: readonly TrafficStrategy[] = ["blue-green", "canary", "ab", "shadow"];

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
    if (!opts.json && opened.owned.adminUrl) log(`${env}: dashboard on ${opened.owned.adminUrl}/`);
    await serveUntilSignal(opened.owned, log);
  });

  withDeployOptions(
    program
      .command("deploy")
      .description(
        "Deploy a registered version: start the idle colour, check it, move traffic (blue-green, canary, A/B or shadow), roll back on failure.",
      )
      .argument("[version]", "version, `latest` or alias", "latest")
      .option("--strategy <name>", "blue-green, canary, ab or shadow (default: deploy.strategy)")
      .option("--canary <weights>", "canary steps in percent, e.g. 10,50,100 (default: deploy.canary.steps)")
      .option(
        "--pause <seconds>",
        "canary: time per step with its analysis; `manual` waits for `modelship promote`",
      )
      .option("--ab <percent>", "A/B: fixed share of traffic on the new version until promote or abort")
      .option(
        "--shadow <percent>",
        "shadow: share of requests copied to the new version (clients get the stable answer)",
      ),
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
  const plan = kind === "deploy" ? trafficPlan(config.deploy, trafficOverride(opts)) : undefined;
  const registry = await openRegistry();
  const { result, opened } = await runDeploy({
    config,
    repoDir,
    env,
    kind,
    ref,
    registry,
    openRouter,
    log,
    ...(plan ? { plan } : {}),
  });
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
  const ok = r.rollout.outcome === "succeeded" || r.rollout.outcome === "holding";
  if (!ok || r.aliasError) process.exitCode = 1;
}

/** `--strategy`, `--canary 10,50,100 [--pause 60|manual]`, `--ab 20`, `--shadow 100`: at most one strategy. */
function trafficOverride(opts: DeployOptions): TrafficOverride {
  const given = (["canary", "ab", "shadow"] as const).filter((k) => opts[k] !== undefined);
  const strategy = opts.strategy ?? given[0];
  if (given.length > 1 || (opts.strategy !== undefined && given.some((g) => g !== opts.strategy))) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `choose one traffic strategy, got ${[opts.strategy && `--strategy ${opts.strategy}`, ...given.map((g) => `--${g}`)].filter(Boolean).join(" and ")}`,
      hint: "Use one of --canary WEIGHTS, --ab PERCENT, --shadow PERCENT (or --strategy NAME).",
    });
  }
  if (strategy !== undefined && !TRAFFIC_STRATEGIES.includes(strategy as TrafficStrategy)) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `--strategy must be one of ${TRAFFIC_STRATEGIES.join(", ")}, got '${strategy}'`,
    });
  }
  if (opts.pause !== undefined && strategy !== "canary") {
    throw new ModelshipError({ code: "option-invalid", message: "--pause goes with a canary (--canary)" });
  }
  const out: TrafficOverride = {};
  if (strategy !== undefined) out.strategy = strategy as TrafficStrategy;
  if (opts.canary !== undefined) out.steps = opts.canary.split(",").map((w) => numberOption("--canary", w));
  if (opts.pause !== undefined)
    out.pauseSeconds = opts.pause === "manual" ? null : numberOption("--pause", opts.pause);
  if (opts.ab !== undefined) out.weight = numberOption("--ab", opts.ab);
  if (opts.shadow !== undefined) out.percent = numberOption("--shadow", opts.shadow);
  return out;
}

function numberOption(option: string, text: string): number {
  const n = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(n)) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `${option}: '${text}' is not a number`,
      hint: "Percents are numbers from 0 to 100, e.g. --canary 10,50,100, --ab 20, --shadow 100; --pause takes seconds or `manual`.",
    });
  }
  return n;
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
