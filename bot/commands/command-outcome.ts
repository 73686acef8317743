import type { Command } from "../../core/commands/validate-command.ts";
import type { Config } from "../../core/config/schema.ts";

/** How a command ended: 🚀 or 👎 on the comment, and the reply posted under it (if any). */
export type Outcome = { ok: true; reply?: string } | { ok: false; reply: string };

/** What a validated command runs with: the default branch's config and where it was asked. */
export type CommandInput<C extends Command = Command> = {
  config: Config;
  configText: string;
  pr: number;
  commentId: number;
  actor: string;
  command: C;
};

/** A refusal with its reason code, as every command replies it. */
export function refused(r: { message: string; reason: string }): Outcome {
  return { ok: false, reply: `${r.message} (\`${r.reason}\`)` };
}
