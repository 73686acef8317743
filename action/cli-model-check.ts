import { join, resolve } from "node:path";
import { z } from "zod";
import { ModelshipError, type Problem } from "../core/errors.ts";
import type { ModelLoadCheck } from "../core/registry/registry-port.ts";
import type { CommandContext } from "./command-context.ts";
import { resolveModelshipCli, runModelshipCli } from "./resolve-cli.ts";

const CheckOutputSchema = z.object({
  ok: z.boolean(),
  problems: z.array(
    z.object({
      code: z.string(),
      message: z.string(),
      hint: z.string().optional(),
      where: z.object({ file: z.string() }).optional(),
    }),
  ),
});

/**
 * The registration load check for the Action, whose bundle carries no native modules: the
 * `modelship` CLI (resolved as `train` resolves it) loads the run's model in onnxruntime and
 * answers one request (`models check --json`); its problems are those of the CLI's `register`.
 */
export function cliModelCheck(ctx: CommandContext): ModelLoadCheck {
  return async (runDir) => {
    const cli = await resolveModelshipCli({
      env: ctx.env,
      workspace: ctx.action.workspace,
      toolCacheDir: ctx.env["RUNNER_TOOL_CACHE"] ?? join(ctx.action.tempDir, "tool-cache"),
      log: ctx.log,
    });
    const dir = resolve(ctx.action.workspace, runDir);
    const run = await runModelshipCli(cli, ["models", "check", dir, "--json"], {
      cwd: ctx.action.workspace,
      env: ctx.env,
      stderrLine: (line) => ctx.log(line),
    });
    const parsed = parseOutput(run.stdout);
    if (!parsed) {
      throw new ModelshipError({
        code: "model-check-failed",
        message: `\`modelship models check\` exited with ${run.code ?? "a signal"} without a verdict: ${run.stderr.trim().split("\n").at(-1) ?? ""}`,
        hint: "See the step's log; MODELSHIP_CLI may point at a CLI older than this Action.",
      });
    }
    return parsed.problems.map((p): Problem => ({
      code: p.code,
      message: p.message,
      ...(p.hint === undefined ? {} : { hint: p.hint }),
      ...(p.where === undefined ? {} : { where: { file: p.where.file } }),
    }));
  };
}

function parseOutput(stdout: string): z.infer<typeof CheckOutputSchema> | undefined {
  try {
    const parsed = CheckOutputSchema.safeParse(JSON.parse(stdout));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
