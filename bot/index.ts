import { formatProblem, ModelshipError } from "../core/errors.ts";
import { startBot } from "./start.ts";

try {
  await startBot(process.env);
} catch (err) {
  if (err instanceof ModelshipError)
    for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
  else process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 2;
}
