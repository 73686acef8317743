import { Command, type ErrorOptions, type HelpContext } from "commander";
import { EXIT_CODES } from "../../core/errors.ts";

/** Exit code of bad input and usage errors (unknown command or option, missing argument). */
export const USAGE_EXIT_CODE = EXIT_CODES.usage;

/** `modelship models list`: the words a user types to reach a command. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Commander's command with the CLI's usage conventions, inherited by every subcommand: a usage
 * error is one line on stderr that points at the command's `--help` (never the whole help) and
 * exits 2; a command group run without a subcommand is such an error too.
 */
export class ModelshipCommand extends Command {
  override createCommand(name?: string): ModelshipCommand {
    return new ModelshipCommand(name);
  }

  override error(message: string, options: ErrorOptions = {}): never {
    // Commander puts its "(Did you mean …?)" suggestion on a second line.
    const line = message
      .replace(/\s*\n\s*/g, " ")
      .trim()
      .replace(/\.$/, "");
    return super.error(`${line}; see \`${commandPath(this)} --help\``, {
      ...options,
      exitCode: options.exitCode ?? USAGE_EXIT_CODE,
    });
  }

  override help(context?: HelpContext): never;
  override help(cb: (str: string) => string): never;
  override help(context?: HelpContext | ((str: string) => string)): never {
    if (typeof context === "object" && context.error) {
      const names = this.commands.map((c) => c.name()).filter((n) => n !== "help");
      this.error(`error: missing command: one of ${names.join(", ")}`, { code: "commander.missingCommand" });
    }
    return typeof context === "function" ? super.help(context) : super.help(context);
  }
}
