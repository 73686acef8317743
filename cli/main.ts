import { readFileSync } from "node:fs";
import { CommanderError, type Command } from "commander";
import { EXIT_CODES, formatProblem, ModelshipError } from "../core/errors.ts";
import { ModelshipCommand, USAGE_EXIT_CODE } from "./shared/modelship-command.ts";
import { setQuiet } from "./shared/output.ts";

// build/package.json sits next to the compiled cli/ the same way package.json does here.
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const QUIET_FLAGS = "-q, --quiet";
const QUIET_HELP = "print only errors, warnings and the requested output (no progress)";

const program = new ModelshipCommand("modelship")
  .description(
    "Train, compare, register and blue-green deploy models — from pull requests or on one machine.",
  )
  .version(version, "-V, --version", "print the version and exit")
  .option(QUIET_FLAGS, QUIET_HELP)
  // Program options only before the command, so a command's own `--version <semver>` stays its own.
  .enablePositionalOptions()
  .exitOverride()
  .hook("preAction", (_program, action) => setQuiet(action.optsWithGlobals()["quiet"] === true));

type CommandModule = { register: (p: Command) => void };

// Each module registers the commands named here. Only the module of the command being run is
// loaded (help and unknown commands load them all, `--version` none), so a long-running `modelship bot` or
// `modelship serve` does not carry the rest of the CLI in memory, and every command starts faster.
const modules: Array<[names: string[], load: () => Promise<CommandModule>]> = [
  [["validate"], () => import("./commands/validate.ts")],
  [["schema"], () => import("./commands/schema.ts")],
  [["train"], () => import("./commands/train.ts")],
  [["compare"], () => import("./commands/compare.ts")],
  [["register"], () => import("./commands/register.ts")],
  [["models"], () => import("./commands/models.ts")],
  [["serve"], () => import("./commands/serve.ts")],
  [["fetch-model"], () => import("./commands/fetch-model.ts")],
  [["probe"], () => import("./commands/probe.ts")],
  [["up", "deploy", "rollback", "status"], () => import("./commands/deploy.ts")],
  [["promote", "abort", "ab"], () => import("./commands/traffic.ts")],
  [["run"], () => import("./commands/run.ts")],
  [["init"], () => import("./commands/init.ts")],
  [["sweep"], () => import("./commands/sweep.ts")],
  [["runs"], () => import("./commands/runs.ts")],
  [["explain"], () => import("./commands/explain.ts")],
  [["plots"], () => import("./commands/plots.ts")],
  [["data"], () => import("./commands/data.ts")],
  [["ui"], () => import("./commands/ui.ts")],
  [["drift"], () => import("./commands/drift.ts")],
  [["runners"], () => import("./commands/runners.ts")],
  [["bot"], () => import("./commands/bot.ts")],
];

const args = process.argv.slice(2);
const requested = args.find((arg) => !arg.startsWith("-"));
const match = modules.find(([names]) => requested !== undefined && names.includes(requested));
// `modelship --version` needs no command at all.
const versionOnly = requested === undefined && args.some((arg) => arg === "-V" || arg === "--version");
for (const [, load] of match ? [match] : versionOnly ? [] : modules) (await load()).register(program);
addQuietOption(program.commands);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}

/** `-q` works after any command too (`modelship train -q`), not only before it. */
function addQuietOption(commands: readonly Command[]): void {
  for (const cmd of commands) {
    cmd.option(QUIET_FLAGS, QUIET_HELP);
    addQuietOption(cmd.commands);
  }
}

function reportError(err: unknown): number {
  // Commander has already printed its one-line message; help and --version exit 0.
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
  if (err instanceof ModelshipError) {
    for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
    return err.failedCheck ? EXIT_CODES.checkFailed : USAGE_EXIT_CODE;
  }
  process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
