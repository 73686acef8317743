import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseConfig } from "../../core/config/parse-config.ts";
import { ModelshipError } from "../../core/errors.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import type { CommandContext } from "../command-context.ts";
import { problemAnnotations, workspaceRelative, type ActionOutcome } from "../outcome.ts";

/** `validate`: checks the config; every problem becomes an annotation at its file:line:column. */
export async function validateCommand(ctx: CommandContext): Promise<ActionOutcome> {
  const file = resolve(ctx.action.workspace, ctx.inputs.config);
  const shown = workspaceRelative(file, ctx.action.workspace);
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new ModelshipError({
      code: err.code === "ENOENT" ? "config-missing" : "config-unreadable",
      message: `cannot read ${shown}: ${err.message}`,
      where: { file: shown },
      hint: "Commit a .github/modelship.yml (`modelship init` writes one), or set the `config` input.",
    });
  });
  const result = parseConfig(text, file);
  if (result.ok) {
    const c = result.config;
    return {
      decision: "pass",
      reasonCode: "config-valid",
      message: `${shown} is valid (model ${c.model.name}, ${c.model.task}, deploy target ${c.deploy.target})`,
      outputs: {},
      summary: `## Modelship · validate\n\n**✅ Valid**: \`${escapeMarkdown(shown)}\` — model **${escapeMarkdown(c.model.name)}** (${c.model.task}), deploy target \`${c.deploy.target}\`.\n`,
      annotations: [],
    };
  }
  const annotations = problemAnnotations(result.problems, ctx.action.workspace);
  const rows = annotations.map(
    (a) =>
      `| \`${escapeMarkdown(`${a.file ?? shown}:${a.line ?? 1}:${a.column ?? 1}`)}\` | ${escapeMarkdown(a.message.split("\n")[0] ?? "", { maxLength: 500 })} |`,
  );
  return {
    decision: "fail",
    reasonCode: result.problems[0]?.code ?? "config-invalid",
    message: `${shown}: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}`,
    outputs: {},
    summary: `## Modelship · validate\n\n**❌ Invalid**: \`${escapeMarkdown(shown)}\` has ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}.\n\n| Where | Problem |\n|---|---|\n${rows.join("\n")}\n`,
    annotations,
  };
}
