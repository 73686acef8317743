import type { Command } from "commander";
import { formatProblem, ModelshipError } from "../../core/errors.ts";

/**
 * Adds `modelship fetch-model --dir DIR`: the Kubernetes init container's command. It reads the
 * version and its pinned digests from MODELSHIP_* variables, fetches it from the registry and
 * verifies it; a mismatch exits 1 with its reason code, so the pod never starts the server.
 */
export function register(program: Command): void {
  program
    .command("fetch-model")
    .description(
      "Fetch a registered version into a directory and verify it against pinned digests (the Kubernetes init container).",
    )
    .requiredOption(
      "--dir <path>",
      "the volume shared with the server; the version lands in DIR/NAME/VERSION",
    )
    .action(async (flags: { dir: string }) => {
      const { fetchModelFromEnv, MISMATCH_CODES } = await import("../../runners/fetch/main.ts");
      const warn = (p: Parameters<typeof formatProblem>[0]) =>
        process.stderr.write(`warning: ${formatProblem(p)}\n`);
      try {
        const dir = await fetchModelFromEnv({ env: process.env, root: flags.dir, warn });
        process.stdout.write(`verified ${dir}\n`);
      } catch (err) {
        if (!(err instanceof ModelshipError) || !MISMATCH_CODES.includes(err.code)) throw err;
        for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
        process.exitCode = 1;
      }
    });
}
