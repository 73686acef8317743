import { Command, CommanderError } from "commander";
import { formatProblem, ModelshipError } from "../core/errors.ts";

const program = new Command("modelship")
  .description(
    "Train, compare, register and blue-green deploy models — from pull requests or on one machine.",
  )
  .showHelpAfterError()
  .exitOverride();

type CommandModule = { register: (p: Command) => void };

// Each module registers the commands named here. Only the module of the command being run is
// loaded (help and unknown commands load them all), so a long-running `modelship bot` or
// `modelship serve` does not carry the rest of the CLI in memory, and every command starts faster.
const modules: Array<[names: string[], load: () => Promise<CommandModule>]> = [
  [["validate"], () => import("./commands/validate.ts")],
  [["schema"], () => import("./commands/schema.ts")],
  [["train"], () => import("./commands/train.ts")],
  [["compare"], () => import("./commands/compare.ts")],
  [["register"], () => import("./commands/register.ts")],
  [["models"], () => import("./commands/models.ts")],
  [["serve"], () => import("./commands/serve.ts")],
  [["up", "deploy", "rollback", "status"], () => import("./commands/deploy.ts")],
  [["run"], () => import("./commands/run.ts")],
  [["init"], () => import("./commands/init.ts")],
  [["sweep"], () => import("./commands/sweep.ts")],
  [["runners"], () => import("./commands/runners.ts")],
  [["bot"], () => import("./commands/bot.ts")],
];

const requested = process.argv[2];
const match = modules.find(([names]) => requested !== undefined && names.includes(requested));
for (const [, load] of match ? [match] : modules) (await load()).register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  if (err instanceof ModelshipError) {
    for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
    return 2;
  }
  process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
