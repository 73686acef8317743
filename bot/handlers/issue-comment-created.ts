import { authorizeCommand, permissionAtLeast } from "../../core/bot/authorize-command.ts";
import { appDeployments, rollbackTarget } from "../../core/bot/deployment-payload.ts";
import { appLogin } from "../../core/bot/judge-provenance.ts";
import { parseCorrelationId } from "../../core/bot/correlation-id.ts";
import { parseCommand } from "../../core/commands/parse-command.ts";
import { renderHelp } from "../../core/commands/render-help.ts";
import { validateCommand, type Command } from "../../core/commands/validate-command.ts";
import type { Config } from "../../core/config/schema.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import type { BotEnv } from "../bot-event.ts";
import { checkVersionProvenance } from "../check-version-provenance.ts";
import { deployVersion } from "../deploy-version.ts";
import { dispatchTraining, TRAIN_CHECK_NAME } from "../dispatch-training.ts";
import type { PullInfo } from "../github-port.ts";
import { reportTrainingRun } from "../report-training-run.ts";
import { renderConfigProblems, repoConfig } from "../repo-config.ts";

/** The parts of an `issue_comment.created` payload the handler reads. */
export type IssueCommentPayload = {
  issue: { number: number; pull_request?: unknown };
  comment: {
    id: number;
    body: string;
    created_at?: string;
    user: { login: string; type?: string } | null;
  };
};

type Outcome = { ok: true; reply?: string } | { ok: false; reply: string };

/**
 * A PR comment that starts with a slash command. Stale comments (replays) and commands over the
 * rate limit are dropped; the commenter's permission is the first API call, and someone without
 * read access gets nothing more: no reaction, no reply. Then 👀, authorise (the command's minimum,
 * failing closed), validate against the default branch's config, act, and 🚀 or 👎 with a reply.
 */
export async function handleIssueCommentCreated(env: BotEnv, payload: IssueCommentPayload): Promise<void> {
  if (!payload.issue.pull_request) return;
  const user = payload.comment.user;
  if (!user || user.type === "Bot") return;
  const parsed = parseCommand(payload.comment.body);
  if (parsed.kind === "none") return;
  const created = Date.parse(payload.comment.created_at ?? "");
  if (!Number.isFinite(created) || env.now().getTime() - created > env.maxCommandAgeMs) {
    env.log.warn({ delivery: env.deliveryId, comment: payload.comment.id }, "stale command refused");
    return;
  }
  const { gh } = env;
  const rate = env.rateLimit.take(`${gh.owner}/${gh.repo}`, user.login, env.now());
  if (rate === "drop") return;
  const pr = payload.issue.number;
  const commentId = payload.comment.id;
  const actual = await gh.permission(user.login);
  if (!permissionAtLeast(actual, "read")) {
    env.log.info({ user: user.login }, "command from a user without access ignored");
    return;
  }
  const who = `@${user.login}`;
  if (rate === "slow-down") {
    await gh.comment(
      pr,
      `${who} slow down: too many commands in a short time; Modelship ignores the next ones for a minute. (\`rate-limited\`)`,
    );
    return;
  }
  await gh.react(commentId, "eyes");
  const name = parsed.kind === "command" ? parsed.command.name : parsed.name;

  const finish = async (outcome: Outcome): Promise<void> => {
    await gh.react(commentId, outcome.ok ? "rocket" : "-1");
    if (outcome.reply) {
      await gh.comment(
        pr,
        `> ${escapeMarkdown(payload.comment.body.split(/\r?\n/)[0] ?? "", { maxLength: 120 })}\n\n${who} ${outcome.reply}`,
      );
    }
  };

  const loaded = await repoConfig(gh);
  if (!loaded.ok) return finish({ ok: false, reply: renderConfigProblems(loaded) });
  const config = loaded.config;

  const auth = authorizeCommand({ command: name, actual, config });
  if (!auth.ok) {
    return finish({
      ok: false,
      reply: `\`/${name}\` needs **${auth.required}** permission on this repository; you have **${auth.actual}**. (\`insufficient-permission\`)`,
    });
  }
  if (parsed.kind === "invalid")
    return finish({ ok: false, reply: `${parsed.message}. (\`${parsed.reason}\`)` });
  const validated = validateCommand(parsed.command, config);
  if (!validated.ok) return finish({ ok: false, reply: `${validated.message}. (\`${validated.reason}\`)` });

  let outcome: Outcome;
  try {
    outcome = await runCommand(env, {
      config,
      configText: loaded.text,
      pr,
      commentId,
      actor: user.login,
      command: validated.command,
    });
  } catch (err) {
    // Say so on the PR, then let Probot log it (and GitHub's redelivery retry it).
    const why = escapeMarkdown(err instanceof Error ? err.message : String(err), { maxLength: 300 });
    await finish({ ok: false, reply: `\`/${name}\` failed: ${why} (\`internal-error\`)` });
    throw err;
  }
  await finish(outcome);
}

async function runCommand(
  env: BotEnv,
  input: {
    config: Config;
    configText: string;
    pr: number;
    commentId: number;
    actor: string;
    command: Command;
  },
): Promise<Outcome> {
  const { gh } = env;
  const { config, command, pr } = input;
  switch (command.name) {
    case "help":
      return { ok: true, reply: `here is what Modelship understands:\n\n${renderHelp(config)}` };
    case "train": {
      const pull = await gh.pull(pr);
      const result = await dispatchTraining({
        gh,
        config,
        pull,
        params: command.params,
        trigger: "comment",
        nonce: `c${input.commentId}`,
      });
      if (result.outcome === "refused")
        return { ok: false, reply: `${result.message} (\`${result.reason}\`)` };
      return { ok: true };
    }
    case "compare": {
      const pull = await gh.pull(pr);
      const checks = await gh.listCheckRuns(pull.headSha, TRAIN_CHECK_NAME);
      for (const check of checks) {
        const correlation = check.externalId ? parseCorrelationId(check.externalId) : undefined;
        if (!correlation || correlation.pr !== pr) continue;
        const run = await gh.findTrainingRun(config.github.trainWorkflow, correlation.id, pull.headSha);
        if (run?.status !== "completed") continue;
        const report = await reportTrainingRun({
          env,
          config,
          configText: input.configText,
          correlation,
          run,
          ...(command.baseline ? { baselineRef: command.baseline } : {}),
        });
        return report.ok
          ? { ok: true }
          : { ok: false, reply: `the latest training run has no report: ${report.reason}.` };
      }
      return {
        ok: false,
        reply: `there is no completed training run for ${pull.headSha.slice(0, 7)} yet; \`/train\` starts one. (\`no-training-run\`)`,
      };
    }
    case "lock": {
      const lock = await gh.acquireLock(command.environment, input.actor, `/lock on #${pr}`);
      if (lock.ok)
        return {
          ok: true,
          reply: `\`${command.environment}\` is locked; \`/unlock ${command.environment}\` releases it.`,
        };
      return {
        ok: false,
        reply: `\`${command.environment}\` is already locked${lock.owner ? ` by @${escapeMarkdown(lock.owner)}` : ""}. (\`environment-locked\`)`,
      };
    }
    case "unlock": {
      const released = await gh.releaseLock(command.environment);
      return released
        ? { ok: true, reply: `\`${command.environment}\` is unlocked.` }
        : { ok: false, reply: `\`${command.environment}\` was not locked. (\`not-locked\`)` };
    }
    case "deploy": {
      const pull = await gh.pull(pr);
      const picked = await releasedVersion(env, config, pull, command.environment);
      if (!picked.ok) return { ok: false, reply: picked.reply };
      const version = picked.version;
      return deployOutcome(
        await deployVersion({
          gh,
          config,
          environment: command.environment,
          version,
          ref: pull.mergeCommitSha ?? pull.headSha,
          checkSha: pull.headSha,
          pr,
          kind: "deploy",
          actor: input.actor,
          fromFork: pull.fromFork,
        }),
        command.environment,
        version,
      );
    }
    case "rollback":
    case "promote": {
      const registry = await gh.registry({ tagFormat: config.registry.tagFormat });
      let version = command.version;
      if (command.name === "rollback" && version === null) {
        // From the App's own history of deployment statuses: deployments made by anyone else,
        // and the "previous version" any payload claims, do not count.
        const history = appDeployments(
          await gh.listDeployments(command.environment),
          appLogin(config),
          config.model.name,
        );
        version = rollbackTarget(history);
        if (!version) {
          return {
            ok: false,
            reply: `\`${command.environment}\` has no previous version to roll back to; name one: \`/rollback ${command.environment} VERSION\`. (\`no-previous-version\`)`,
          };
        }
      }
      const found = version ? await registry.get(config.model.name, version) : undefined;
      if (!found || !version)
        return {
          ok: false,
          reply: `version ${version ?? "?"} of ${config.model.name} is not registered. (\`version-not-found\`)`,
        };
      const verdict = await checkVersionProvenance({
        gh,
        config,
        version: found,
        environment: command.environment,
      });
      if (!verdict.ok) return { ok: false, reply: `${verdict.message} (\`${verdict.reason}\`)` };
      const defaultBranch = (await gh.pull(pr)).baseRef;
      return deployOutcome(
        await deployVersion({
          gh,
          config,
          environment: command.environment,
          version,
          ref: defaultBranch,
          checkSha: null,
          pr,
          kind: command.name,
          actor: input.actor,
          fromFork: false,
        }),
        command.environment,
        version,
      );
    }
  }
}

function deployOutcome(
  result: Awaited<ReturnType<typeof deployVersion>>,
  environment: string,
  version: string,
): Outcome {
  if (result.outcome === "refused") return { ok: false, reply: `${result.message} (\`${result.reason}\`)` };
  if (result.outcome === "exists")
    return {
      ok: true,
      reply: `${version} is already being deployed to \`${environment}\` (deployment ${result.deploymentId}).`,
    };
  return {
    ok: true,
    reply: `deploying ${version} to \`${environment}\` (deployment ${result.deploymentId}).`,
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
