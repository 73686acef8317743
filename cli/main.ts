import { Command, CommanderError } from "commander";
import { formatProblem, ModelshipError } from "../core/errors.ts";

const program = new Command("modelship")
  .description(
    "Train, compare, register and blue-green deploy models — from pull requests or on one machine.",
  )
  .showHelpAfterError()
  .exitOverride();

const registrations: Array<() => Promise<{ register: (p: Command) => void }>> = [
  () => import("./commands/validate.ts"),
  () => import("./commands/schema.ts"),
  () => import("./commands/train.ts"),
  () => import("./commands/compare.ts"),
  () => import("./commands/register.ts"),
  () => import("./commands/models.ts"),
  () => import("./commands/serve.ts"),
  () => import("./commands/deploy.ts"),
  () => import("./commands/run.ts"),
  () => import("./commands/init.ts"),
  () => import("./commands/sweep.ts"),
  () => import("./commands/runners.ts"),
  () => import("./commands/bot.ts"),
];

for (const load of registrations) (await load()).register(program);

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
