import type { Command } from "commander";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import { buildAbReport, renderAbReport } from "../../core/monitoring/ab-report.ts";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { aliasFollows } from "../../core/rollout/deploy-version.ts";
import type { RolloutResult } from "../../core/rollout/deploy-target.ts";
import { assertLocalTarget, describeRollout, openDeployment } from "../shared/deployment.ts";
import { info } from "../shared/output.ts";
import { emit, loadCommonConfig, withCommonOptions, type CommonOptions } from "../shared/options.ts";

type TrafficOptions = CommonOptions & { env?: string; json?: boolean; step?: boolean };

/** The running router of the environment (never started here: there is nothing to promote without one). */
async function openRunning(opts: TrafficOptions, command: string) {
  const { config, repoDir } = await loadCommonConfig(opts);
  assertLocalTarget(config, command);
  const env = opts.env ?? config.deploy.environment;
  const opened = await openDeployment({
    config,
    repoDir,
    env,
    port: config.deploy.port,
    startIfMissing: false,
  });
  return { config, repoDir, env, control: opened.control };
}

async function promoteLocal(opts: TrafficOptions): Promise<Resumed> {
  const { config, repoDir, env, control } = await openRunning(opts, "promote");
  return { config, repoDir, env, rollout: await control.promote({ full: opts.step !== true }) };
}

type Resumed = { config: Config; repoDir: string; env: string; rollout: RolloutResult };

/**
 * With deploy.target kubernetes, promote/abort move on the split the cluster holds (recorded on
 * the model's Service) through the same rollout machine; null for the local target.
 */
async function onKubernetes(opts: TrafficOptions, action: "promote" | "abort"): Promise<Resumed | null> {
  const { config, repoDir } = await loadCommonConfig(opts);
  if (config.deploy.target !== "kubernetes") return null;
  if (opts.step === true) {
    throw new ModelshipError({
      code: "option-invalid",
      message: "`promote --step` moves a local canary one step; on Kubernetes `promote` ends the split",
      hint: "Run `modelship promote` (all traffic to the new version); with Argo Rollouts, `kubectl argo rollouts promote ROLLOUT` moves one step.",
    });
  }
  const env = opts.env ?? config.deploy.environment;
  const { resumeKubernetesTarget } = await import("../../adapters/deploy-kubernetes/kubernetes-target.ts");
  const rollout = await resumeKubernetesTarget({
    env: process.env,
    config,
    environment: env,
    now: () => new Date(),
    log: opts.json ? () => undefined : info,
    action,
  });
  return { config, repoDir, env, rollout };
}

function withTrafficOptions(cmd: Command): Command {
  return withCommonOptions(cmd)
    .option("-e, --env <name>", "environment (default: deploy.environment from the config)")
    .option("--json", "print the result as JSON");
}

/** `modelship promote|abort|ab report`: move on, undo or judge a canary, A/B or shadow rollout. */
export function register(program: Command): void {
  withTrafficOptions(
    program
      .command("promote")
      .description(
        "Move all traffic to the new version of a canary, A/B or shadow rollout (skips remaining canary steps).",
      )
      .option("--step", "canary: go to the next step only"),
  ).action(async (opts: TrafficOptions) => {
    const { config, repoDir, env, rollout } =
      (await onKubernetes(opts, "promote")) ?? (await promoteLocal(opts));
    let aliasError: string | null = null;
    if (rollout.outcome === "succeeded") {
      const registry = await openGitRegistry({ repoDir, tagFormat: config.registry.tagFormat });
      const name = config.model.name;
      const now = () => new Date();
      ({ aliasError } = await aliasFollows(
        { registry, name, environment: env, now, reason: "promote" },
        rollout,
      ));
    }
    finish(opts, rollout, aliasError, ["succeeded", "holding"]);
  });

  withTrafficOptions(
    program
      .command("abort")
      .description("Return all traffic to the stable version and stop the new one (before it was promoted)."),
  ).action(async (opts: TrafficOptions) => {
    const kube = await onKubernetes(opts, "abort");
    const rollout = kube?.rollout ?? (await (await openRunning(opts, "abort")).control.abort());
    finish(opts, rollout, null, ["rolled-back"]);
  });

  const ab = program.command("ab").description("A/B testing between the stable and the candidate version.");
  withTrafficOptions(
    ab
      .command("report")
      .description(
        "Per-variant latency, errors and — with ground truth from POST /v2/models/{name}/feedback — accuracy or error, with a significance test and a verdict.",
      )
      .option("--alpha <p>", "significance level", "0.05"),
  ).action(async (opts: TrafficOptions & { alpha: string }) => {
    const { env, control } = await openRunning(opts, "ab report");
    const status = await control.status();
    const alpha = Number(opts.alpha);
    const report = buildAbReport({
      environment: env,
      traffic: status.traffic,
      rollout: status.rollout,
      ...(alpha > 0 && alpha < 1 ? { alpha } : {}),
    });
    emit(opts.json, report, () => renderAbReport(report));
  });
}

/** Prints the rollout; exit 1 unless it reached one of `ok`. */
function finish(opts: TrafficOptions, r: RolloutResult, aliasError: string | null, ok: string[]): void {
  emit(opts.json, { ...r, ...(aliasError ? { aliasError } : {}) }, () => describeRollout(r, aliasError));
  if (!ok.includes(r.outcome) || aliasError) process.exitCode = 1;
  if (!opts.json && r.outcome === "succeeded") info(`  promoted: v${r.version} takes all traffic`);
}
