import { authorizeCommand } from "../../core/bot/authorize-command.ts";
import { parseDeploymentPayload } from "../../core/bot/deployment-payload.ts";
import { parseCorrelationId } from "../../core/bot/correlation-id.ts";
import { parseCommand } from "../../core/commands/parse-command.ts";
import { renderHelp } from "../../core/commands/render-help.ts";
import { validateCommand, type Command } from "../../core/commands/validate-command.ts";
import type { Config } from "../../core/config/schema.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import type { BotEnv } from "../bot-event.ts";
import { deployVersion } from "../deploy-version.ts";
import { dispatchTraining, TRAIN_CHECK_NAME } from "../dispatch-training.ts";
import type { PullInfo } from "../github-port.ts";
import { reportTrainingRun } from "../report-training-run.ts";
import { renderConfigProblems, repoConfig } from "../repo-config.ts";

/** The parts of an `issue_comment.created` payload the handler reads. */
export type IssueCommentPayload = {
  issue: { number: number; pull_request?: unknown };
  comment: { id: number; body: string; user: { login: string; type?: string } | null };
};

type Outcome = { ok: true; reply?: string } | { ok: false; reply: string };

/**
 * A PR comment that starts with a slash command: 👀, authorise (repository permission, the
 * command's minimum, failing closed), validate against the default branch's config, act, then
 * 🚀 or 👎 with a reply that says why.
 */
export async function handleIssueCommentCreated(env: BotEnv, payload: IssueCommentPayload): Promise<void> {
  if (!payload.issue.pull_request) return;
  const user = payload.comment.user;
  if (!user || user.type === "Bot") return;
  const parsed = parseCommand(payload.comment.body);
  if (parsed.kind === "none") return;
  const { gh } = env;
  const pr = payload.issue.number;
  const commentId = payload.comment.id;
  await gh.react(commentId, "eyes");
  const name = parsed.kind === "command" ? parsed.command.name : parsed.name;

  const finish = async (outcome: Outcome): Promise<void> => {
    await gh.react(commentId, outcome.ok ? "rocket" : "-1");
    if (outcome.reply) {
      const who = `@${user.login}`;
      await gh.comment(
        pr,
        `> ${escapeMarkdown(payload.comment.body.split(/\r?\n/)[0] ?? "", { maxLength: 120 })}\n\n${who} ${outcome.reply}`,
      );
    }
  };

  const loaded = await repoConfig(gh);
  if (!loaded.ok) return finish({ ok: false, reply: renderConfigProblems(loaded) });
  const config = loaded.config;

  const actual = await gh.permission(user.login);
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
      const version = await releasedVersion(env, config, pull);
      if (!version) {
        return {
          ok: false,
          reply: `this pull request has no released version yet: a version is released when it merges with a passing training result. \`/promote VERSION ENV\` deploys an existing version. (\`not-released\`)`,
        };
      }
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
        // The newest deployment's predecessor: after a failed deploy that is the version still live.
        const newest = (await gh.listDeployments(command.environment))
          .map((d) => parseDeploymentPayload(d.payload))
          .find((p) => p?.model === config.model.name);
        version = newest?.previousVersion ?? null;
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

/** The version registered from this PR (lineage.pr), newest first. */
async function releasedVersion(env: BotEnv, config: Config, pull: PullInfo): Promise<string | null> {
  if (!pull.merged) return null;
  const versions = await (
    await env.gh.registry({ tagFormat: config.registry.tagFormat })
  ).list(config.model.name);
  return versions.find((v) => v.lineage.pr === pull.number)?.version ?? null;
}
