import { parseDeploymentPayload } from "../../core/bot/deployment-payload.ts";
import type { DeploymentPayload } from "../../core/bot/plan-deployment.ts";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import type { Registry } from "../../core/registry/registry-port.ts";
import type { DeployTarget, TargetRollout } from "../../core/rollout/deploy-target.ts";
import { planDeployVersion } from "../../core/rollout/deploy-version.ts";
import { checkDeploymentTrust } from "./deploy-trust.ts";
import { loadActionConfig, refuseOnPullRequest, type CommandContext } from "../command-context.ts";
import {
  createRunDeployment,
  openActionRegistry,
  reporterForDeployment,
  type DeploymentReporter,
} from "../github-services.ts";
import { publishAbReport } from "../ab-report-publish.ts";
import { openLocalTarget } from "../local-target.ts";
import type { ActionOutcome } from "../outcome.ts";

type Kind = "deploy" | "rollback";

/** `deploy`: blue-green deploys a registered version, reporting GitHub deployment statuses around it. */
export function deployCommand(ctx: CommandContext): Promise<ActionOutcome> {
  return runRollout(ctx, "deploy");
}

/** `rollback`: returns the environment to the version live before (or the `version` input). */
export function rollbackCommand(ctx: CommandContext): Promise<ActionOutcome> {
  return runRollout(ctx, "rollback");
}

/**
 * One path for both: the deployment of the triggering `deployment` event (or a new one for this
 * commit) goes in_progress, the target runs the blue-green rollout, and the deployment ends in
 * success (with the environment URL) or failure; anything that stops the rollout from running
 * ends it in error.
 */
async function runRollout(ctx: CommandContext, kind: Kind): Promise<ActionOutcome> {
  refuseOnPullRequest(ctx);
  const config = await loadActionConfig(ctx);
  const event = ctx.action.deployment;
  const environment = ctx.inputs.environment ?? event?.environment ?? config.deploy.environment;
  const name = config.model.name;
  let reporter: DeploymentReporter | undefined = event ? reporterForDeployment(ctx, event.id) : undefined;
  try {
    const payload = event ? eventPayload(event) : undefined;
    // Only deployments the App created, as it recorded them, and not locked since.
    if (event) await checkDeploymentTrust(ctx, config, event);
    if (payload && payload.model !== name) {
      throw new ModelshipError({
        code: "model-name-mismatch",
        message: `the deployment is for model '${payload.model}' but the config names '${name}'`,
        hint: "Set the `model` input, or point `config` at that model's config.",
      });
    }
    const registry = openActionRegistry(ctx, config);
    const target = await openTarget(ctx, config, environment, registry);
    const plan = await planDeployVersion({
      kind,
      target,
      registry,
      name,
      environment,
      ref: ctx.inputs.version ?? payload?.version,
      now: ctx.now,
      note: ctx.action.runUrl ?? "workflow run",
    });
    reporter ??= await createRunDeployment(ctx, {
      model: name,
      version: plan.version,
      strategy: config.deploy.strategy,
      previousVersion: await target.liveVersion(),
      environment,
      pr: ctx.inputs.pr ?? ctx.action.pullRequest ?? null,
    });
    await reporter.status("in_progress", { description: `${kind} of ${name} v${plan.version} started` });
    const { rollout, aliasError } = await plan.run();
    const pr = payload?.pr ?? ctx.inputs.pr ?? ctx.action.pullRequest ?? null;
    return await finish(ctx, { kind, config, environment, reporter, rollout, aliasError, pr });
  } catch (err) {
    const code = err instanceof ModelshipError ? err.code : "internal-error";
    await reporter
      ?.status("error", { description: `${kind} could not run (${code})` })
      .catch(() => undefined);
    throw err;
  }
}

async function finish(
  ctx: CommandContext,
  o: {
    kind: Kind;
    config: Config;
    environment: string;
    reporter: DeploymentReporter;
    rollout: TargetRollout;
    /** Why the registry did not record the move, when it did not. */
    aliasError: string | null;
    /** The pull request the deployed version came from, when known: a held A/B report goes there. */
    pr: number | null;
  },
): Promise<ActionOutcome> {
  const { rollout, config, environment } = o;
  const name = config.model.name;
  const envUrl = config.deploy.environments[environment]?.url ?? rollout.url;
  const ok = rollout.outcome === "succeeded";
  // An A/B or shadow split (or a canary waiting for a human) holds until `promote` or `abort`:
  // traffic moved as asked, so the job passes and the deployment stays in progress.
  const holding = rollout.outcome === "holding";
  let aliasNote = "";
  // Traffic has moved: a registry that cannot record it is worth a warning, not a failed deploy.
  if (o.aliasError !== null) {
    const why = o.aliasError;
    ctx.log(`modelship: warning: the ${environment} alias was not moved to ${rollout.version}: ${why}`);
    aliasNote = `\n> [!WARNING]\n> The registry alias \`${escapeMarkdown(environment)}\` still points at the old version: ${escapeMarkdown(why, { maxLength: 500 })}. Give the job \`contents: write\` so \`report\` compares with what is live.\n`;
  }
  await o.reporter.status(ok ? "success" : holding ? "in_progress" : "failure", {
    description: `${rollout.reason}: ${rollout.message}`,
    ...(ok && envUrl ? { environmentUrl: envUrl } : {}),
  });
  return {
    decision: ok || holding ? "pass" : "fail",
    reasonCode: rollout.reason,
    message: `${o.kind} of ${name} v${rollout.version} to ${environment}: ${rollout.outcome} (${rollout.message})`,
    outputs: { version: rollout.version, ...(envUrl ? { "deployment-url": envUrl } : {}) },
    summary: [
      `## Modelship · ${o.kind}`,
      "",
      `**${ok ? "✅" : holding ? "⏸️" : "❌"} ${escapeMarkdown(name)} v${escapeMarkdown(rollout.version)} → ${escapeMarkdown(environment)}: ${rollout.outcome}** (\`${rollout.reason}\`)`,
      "",
      escapeMarkdown(rollout.message, { maxLength: 2000 }),
      holding
        ? "\nThe split holds until someone runs `modelship promote` or `modelship abort` on the serving host."
        : "",
      holding ? await heldAbReport(ctx, o) : "",
      `Target \`${config.deploy.target}\`${envUrl ? ` · ${envUrl}` : ""}${rollout.fromVersion ? ` · was v${escapeMarkdown(rollout.fromVersion)}` : ""} · GitHub deployment ${o.reporter.deploymentId}`,
      aliasNote,
    ].join("\n"),
    annotations:
      ok || holding ? [] : [{ title: `Modelship ${o.kind}: ${rollout.reason}`, message: rollout.message }],
  };
}

/**
 * The A/B report of a split that now holds (A/B or shadow on the local router), for the job
 * summary and the pull request's A/B report comment. The deploy already succeeded in moving
 * traffic, so a report that cannot be read or posted is a warning in the log, not a failure.
 */
async function heldAbReport(
  ctx: CommandContext,
  o: { config: Config; environment: string; rollout: TargetRollout; pr: number | null },
): Promise<string> {
  const strategy = o.rollout.strategy;
  if (o.config.deploy.target !== "local" || (strategy !== "ab" && strategy !== "shadow")) return "";
  try {
    const published = await publishAbReport(ctx, { config: o.config, environment: o.environment, pr: o.pr });
    const where = published.commentUrl
      ? `\nPull request #${o.pr}: A/B report comment ${published.commentUrl}\n`
      : "";
    return `\n${published.markdown}${where}`;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    ctx.log(`modelship: warning: the A/B report was not published: ${why}`);
    return "";
  }
}

async function openTarget(
  ctx: CommandContext,
  config: Config,
  environment: string,
  registry: Registry,
): Promise<DeployTarget> {
  if (config.deploy.target === "kubernetes") {
    // Loaded on demand: the Kubernetes client is large and no other command needs it.
    const { openKubernetesTarget } = await import("../../adapters/deploy-kubernetes/kubernetes-target.ts");
    return openKubernetesTarget({ env: ctx.env, config, environment, now: ctx.now, log: ctx.log });
  }
  return openLocalTarget(ctx, config, environment, registry);
}

function eventPayload(event: { id: number; payload: unknown }): DeploymentPayload {
  const payload = parseDeploymentPayload(event.payload);
  if (!payload) {
    throw new ModelshipError({
      code: "deployment-payload-invalid",
      message: `deployment ${event.id} does not carry a Modelship payload`,
      hint: 'Create deployments with the Modelship App, or with a payload like {"model":"iris","version":"1.2.0","strategy":"blue-green","previousVersion":null,"environment":"production","pr":null}.',
    });
  }
  return payload;
}
