import {
  authorizeCommand,
  permissionAtLeast,
  type RepositoryPermission,
} from "../../core/bot/authorize-command.ts";
import { parseCommand, type ParseCommandResult } from "../../core/commands/parse-command.ts";
import { renderHelp } from "../../core/commands/render-help.ts";
import { validateCommand } from "../../core/commands/validate-command.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import type { BotEnv } from "../bot-event.ts";
import { runAbReport } from "../commands/ab-report-command.ts";
import type { CommandInput, Outcome } from "../commands/command-outcome.ts";
import { runDeploy, runRollbackOrPromote } from "../commands/deploy-commands.ts";
import { runLock, runUnlock } from "../commands/lock-commands.ts";
import { runSweep } from "../commands/sweep-command.ts";
import { runCompare, runTrain } from "../commands/training-commands.ts";
import { renderConfigProblems, repoConfig } from "../repo-config.ts";

/** A comment that parsed as a command, valid or not. */
type Command = Exclude<ParseCommandResult, { kind: "none" }>;

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

/**
 * A PR comment that starts with a slash command. Stale comments (replays) and commands over the
 * rate limit are dropped; the commenter's permission is the first API call, and someone without
 * read access gets nothing more: no reaction, no reply. Then 👀, authorise (the command's minimum,
 * failing closed), validate against the default branch's config, act, and 🚀 or 👎 with a reply.
 */
export async function handleIssueCommentCreated(env: BotEnv, payload: IssueCommentPayload): Promise<void> {
  const admitted = await admitComment(env, payload);
  if (!admitted) return;
  const { parsed, actual, login } = admitted;
  const pr = payload.issue.number;
  const commentId = payload.comment.id;
  await env.gh.react(commentId, "eyes");
  const name = parsed.kind === "command" ? parsed.command.name : parsed.name;
  const finish = async (outcome: Outcome): Promise<void> => {
    await env.gh.react(commentId, outcome.ok ? "rocket" : "-1");
    if (outcome.reply) {
      const asked = escapeMarkdown(payload.comment.body.split(/\r?\n/)[0] ?? "", { maxLength: 120 });
      await env.gh.comment(pr, `> ${asked}\n\n@${login} ${outcome.reply}`);
    }
  };

  const checked = await checkCommand(env, parsed, actual);
  if (!checked.ok) return finish(checked);
  let outcome: Outcome;
  try {
    outcome = await runCommand(env, { ...checked.input, pr, commentId, actor: login });
  } catch (err) {
    // Say so on the PR, then let Probot log it (and GitHub's redelivery retry it).
    const why = escapeMarkdown(err instanceof Error ? err.message : String(err), { maxLength: 300 });
    await finish({ ok: false, reply: `\`/${name}\` failed: ${why} (\`internal-error\`)` });
    throw err;
  }
  await finish(outcome);
}

/**
 * Whether a comment is a command this App answers: on a pull request, by a person, fresh, under
 * the rate limit and from someone with read access. Null when it is dropped silently (or, over
 * the limit, with one "slow down" reply).
 */
async function admitComment(
  env: BotEnv,
  payload: IssueCommentPayload,
): Promise<{ parsed: Command; actual: RepositoryPermission; login: string } | null> {
  if (!payload.issue.pull_request) return null;
  const user = payload.comment.user;
  if (!user || user.type === "Bot") return null;
  const parsed = parseCommand(payload.comment.body);
  if (parsed.kind === "none") return null;
  const created = Date.parse(payload.comment.created_at ?? "");
  if (!Number.isFinite(created) || env.now().getTime() - created > env.maxCommandAgeMs) {
    env.log.warn({ delivery: env.deliveryId, comment: payload.comment.id }, "stale command refused");
    return null;
  }
  const { gh } = env;
  const rate = await env.rateLimit.take(`${gh.owner}/${gh.repo}`, user.login, env.now());
  if (rate === "drop") return null;
  const actual = await gh.permission(user.login);
  if (!permissionAtLeast(actual, "read")) {
    env.log.info({ user: user.login }, "command from a user without access ignored");
    return null;
  }
  if (rate === "slow-down") {
    await gh.comment(
      payload.issue.number,
      `@${user.login} slow down: too many commands in a short time; Modelship ignores the next ones for a minute. (\`rate-limited\`)`,
    );
    return null;
  }
  return { parsed, actual, login: user.login };
}

/** Loads the default branch's config, then authorises and validates the command against it. */
async function checkCommand(
  env: BotEnv,
  parsed: Command,
  actual: RepositoryPermission,
): Promise<
  { ok: true; input: Pick<CommandInput, "config" | "configText" | "command"> } | { ok: false; reply: string }
> {
  const loaded = await repoConfig(env.gh);
  if (!loaded.ok) return { ok: false, reply: renderConfigProblems(loaded) };
  const config = loaded.config;
  const name = parsed.kind === "command" ? parsed.command.name : parsed.name;
  const auth = authorizeCommand({ command: name, actual, config });
  if (!auth.ok) {
    return {
      ok: false,
      reply: `\`/${name}\` needs **${auth.required}** permission on this repository; you have **${auth.actual}**. (\`insufficient-permission\`)`,
    };
  }
  if (parsed.kind === "invalid") return { ok: false, reply: `${parsed.message}. (\`${parsed.reason}\`)` };
  const validated = validateCommand(parsed.command, config);
  if (!validated.ok) return { ok: false, reply: `${validated.message}. (\`${validated.reason}\`)` };
  return { ok: true, input: { config, configText: loaded.text, command: validated.command } };
}

/** Runs a validated command; each family lives in its own module under bot/commands/. */
async function runCommand(env: BotEnv, input: CommandInput): Promise<Outcome> {
  const { command } = input;
  switch (command.name) {
    case "help":
      return { ok: true, reply: `here is what Modelship understands:\n\n${renderHelp(input.config)}` };
    case "train":
      return runTrain(env, { ...input, command });
    case "compare":
      return runCompare(env, { ...input, command });
    case "sweep":
      return runSweep(env, { ...input, command });
    case "lock":
      return runLock(env, { ...input, command });
    case "unlock":
      return runUnlock(env, { ...input, command });
    case "deploy":
      return runDeploy(env, { ...input, command });
    case "rollback":
    case "promote":
      return runRollbackOrPromote(env, { ...input, command });
    case "ab-report":
      return runAbReport(env, { ...input, command });
  }
}
