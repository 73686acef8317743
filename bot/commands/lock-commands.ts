import type { Command } from "../../core/commands/validate-command.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import type { BotEnv } from "../bot-event.ts";
import type { CommandInput, Outcome } from "./command-outcome.ts";

/** `/lock ENV`: holds the environment for the commenter until `/unlock`. */
export async function runLock(
  env: BotEnv,
  input: CommandInput<Extract<Command, { name: "lock" }>>,
): Promise<Outcome> {
  const { environment } = input.command;
  const lock = await env.gh.acquireLock(environment, input.actor, `/lock on #${input.pr}`);
  if (lock.ok)
    return { ok: true, reply: `\`${environment}\` is locked; \`/unlock ${environment}\` releases it.` };
  return {
    ok: false,
    reply: `\`${environment}\` is already locked${lock.owner ? ` by @${escapeMarkdown(lock.owner)}` : ""}. (\`environment-locked\`)`,
  };
}

/** `/unlock ENV`: releases the environment's lock. */
export async function runUnlock(
  env: BotEnv,
  input: CommandInput<Extract<Command, { name: "unlock" }>>,
): Promise<Outcome> {
  const { environment } = input.command;
  return (await env.gh.releaseLock(environment))
    ? { ok: true, reply: `\`${environment}\` is unlocked.` }
    : { ok: false, reply: `\`${environment}\` was not locked. (\`not-locked\`)` };
}
