import { appDeployments, rollbackTarget } from "../../core/bot/deployment-payload.ts";
import { appLogin } from "../../core/bot/judge-provenance.ts";
import type { Command } from "../../core/commands/validate-command.ts";
import type { Config } from "../../core/config/schema.ts";
import type { BotEnv } from "../bot-event.ts";
import { checkVersionProvenance } from "../check-version-provenance.ts";
import { deployVersion } from "../deploy-version.ts";
import type { PullInfo } from "../github-port.ts";
import { refused, type CommandInput, type Outcome } from "./command-outcome.ts";

/** `/deploy ENV`: deploys the version this merged pull request released. */
export async function runDeploy(
  env: BotEnv,
  input: CommandInput<Extract<Command, { name: "deploy" }>>,
): Promise<Outcome> {
  const { gh } = env;
  const { config, command, pr } = input;
  const pull = await gh.pull(pr);
  const picked = await releasedVersion(env, config, pull, command.environment);
  if (!picked.ok) return { ok: false, reply: picked.reply };
  return deployAndReply(env, input, {
    version: picked.version,
    ref: pull.mergeCommitSha ?? pull.headSha,
    checkSha: pull.headSha,
    kind: "deploy",
    fromFork: pull.fromFork,
  });
}

/** `/rollback ENV [VERSION]` and `/promote VERSION ENV`: deploys a registered version from the default branch. */
export async function runRollbackOrPromote(
  env: BotEnv,
  input: CommandInput<Extract<Command, { name: "rollback" | "promote" }>>,
): Promise<Outcome> {
  const { gh } = env;
  const { config, command, pr } = input;
  const registry = await gh.registry({ tagFormat: config.registry.tagFormat });
  const version = command.version ?? (await previousVersion(env, config, command.environment));
  if (version === null) {
    return {
      ok: false,
      reply: `\`${command.environment}\` has no previous version to roll back to; name one: \`/rollback ${command.environment} VERSION\`. (\`no-previous-version\`)`,
    };
  }
  const found = version ? await registry.get(config.model.name, version) : undefined;
  if (!found)
    return {
      ok: false,
      reply: `version ${version} of ${config.model.name} is not registered. (\`version-not-found\`)`,
    };
  const verdict = await checkVersionProvenance({
    gh,
    config,
    version: found,
    environment: command.environment,
  });
  if (!verdict.ok) return refused(verdict);
  const defaultBranch = (await gh.pull(pr)).baseRef;
  return deployAndReply(env, input, {
    version,
    ref: defaultBranch,
    checkSha: null,
    kind: command.name,
    fromFork: false,
  });
}

/**
 * The version to roll back to, from the App's own history of deployment statuses: deployments
 * made by anyone else, and the "previous version" any payload claims, do not count.
 */
async function previousVersion(env: BotEnv, config: Config, environment: string): Promise<string | null> {
  const history = appDeployments(
    await env.gh.listDeployments(environment),
    appLogin(config),
    config.model.name,
  );
  return rollbackTarget(history) || null;
}

/** Deploys `version` to the command's environment and says how that went. */
async function deployAndReply(
  env: BotEnv,
  input: CommandInput<Extract<Command, { environment: string }>>,
  d: {
    version: string;
    ref: string;
    checkSha: string | null;
    kind: "deploy" | "rollback" | "promote";
    fromFork: boolean;
  },
): Promise<Outcome> {
  const { environment } = input.command;
  const result = await deployVersion({
    gh: env.gh,
    config: input.config,
    environment,
    pr: input.pr,
    actor: input.actor,
    ...d,
  });
  if (result.outcome === "refused") return refused(result);
  if (result.outcome === "exists")
    return {
      ok: true,
      reply: `${d.version} is already being deployed to \`${environment}\` (deployment ${result.deploymentId}).`,
    };
  return {
    ok: true,
    reply: `deploying ${d.version} to \`${environment}\` (deployment ${result.deploymentId}).`,
  };
}

/**
 * The newest version registered from this PR whose provenance holds for the environment. Versions
 * by untrusted authors (a forged `lineage.pr`) are skipped with a warning; the first trusted one
 * that fails the environment's policy is refused with its reason.
 */
async function releasedVersion(
  env: BotEnv,
  config: Config,
  pull: PullInfo,
  environment: string,
): Promise<{ ok: true; version: string } | { ok: false; reply: string }> {
  const notReleased = {
    ok: false as const,
    reply: `this pull request has no released version yet: a version is released when it merges with a passing training result. \`/promote VERSION ENV\` deploys an existing version. (\`not-released\`)`,
  };
  if (!pull.merged) return notReleased;
  const registry = await env.gh.registry({ tagFormat: config.registry.tagFormat });
  const versions = (await registry.list(config.model.name)).filter((v) => v.lineage.pr === pull.number);
  for (const version of versions) {
    const verdict = await checkVersionProvenance({ gh: env.gh, config, version, environment });
    if (verdict.ok) return { ok: true, version: version.version };
    if (verdict.reason === "untrusted-version") {
      env.log.warn({ tag: version.tag }, `ignored: ${verdict.message}`);
      continue;
    }
    return { ok: false, reply: `${verdict.message} (\`${verdict.reason}\`)` };
  }
  return notReleased;
}
