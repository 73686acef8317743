import { isAbsolute, relative } from "node:path";
import { formatProblem, ModelshipError, type Problem } from "../core/errors.ts";
import { escapeMarkdown } from "../core/report/escape-markdown.ts";
import type { OutputName } from "./inputs.ts";

/** pass: the command did what was asked; fail: it ran and said no (a gate, a rollout); error: it could not run. */
export type Decision = "pass" | "fail" | "error";

/** An error annotation on a file (or on the run, without a file). */
export type Annotation = { title: string; message: string; file?: string; line?: number; column?: number };

/** Everything a command hands to the single exit path. */
export type ActionOutcome = {
  decision: Decision;
  /** Kebab-case, from the closed set of the command that produced it (or an error code). */
  reasonCode: string;
  /** One line for the log and setFailed. */
  message: string;
  outputs: Partial<Record<Exclude<OutputName, "decision" | "reason-code">, string>>;
  /** Markdown for the job summary. */
  summary: string;
  annotations: Annotation[];
};

/** Turns anything thrown into an `error` outcome; a ModelshipError keeps its code and locations. */
export function errorOutcome(err: unknown, opts: { command: string; workspace: string }): ActionOutcome {
  if (err instanceof ModelshipError) {
    const annotations = problemAnnotations(err.problems, opts.workspace);
    return {
      decision: "error",
      reasonCode: err.code,
      message: err.problems.map((p) => formatProblem(p)).join("; "),
      outputs: {},
      summary: renderProblemsSummary(opts.command, err.problems, opts.workspace),
      annotations,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    decision: "error",
    reasonCode: "internal-error",
    message,
    outputs: {},
    summary: `## Modelship · ${opts.command}\n\n**⚠️ Error** (\`internal-error\`): ${escapeMarkdown(message, { maxLength: 2000 })}\n`,
    annotations: [{ title: `Modelship ${opts.command}: internal error`, message }],
  };
}

/** One annotation per problem, with the file relative to the workspace (as GitHub expects). */
export function problemAnnotations(problems: readonly Problem[], workspace: string): Annotation[] {
  return problems.map((p) => ({
    title: `Modelship: ${p.code}`,
    message: `${p.message}${p.hint ? `\n${p.hint}` : ""}`,
    ...(p.where ? { file: workspaceRelative(p.where.file, workspace) } : {}),
    ...(p.where?.line ? { line: p.where.line } : {}),
    ...(p.where?.column ? { column: p.where.column } : {}),
  }));
}

function renderProblemsSummary(command: string, problems: readonly Problem[], workspace: string): string {
  const items = problems.map((p) => {
    const where = p.where
      ? `\`${escapeMarkdown(workspaceRelative(p.where.file, workspace))}${p.where.line ? `:${p.where.line}` : ""}${p.where.line && p.where.column ? `:${p.where.column}` : ""}\` `
      : "";
    const hint = p.hint ? ` — ${escapeMarkdown(p.hint, { maxLength: 500 })}` : "";
    return `- ${where}${escapeMarkdown(p.message, { maxLength: 1000 })} (\`${p.code}\`)${hint}`;
  });
  return `## Modelship · ${command}\n\n**⚠️ Could not run** (\`${problems[0]?.code ?? "error"}\`)\n\n${items.join("\n")}\n`;
}

/** A path inside the workspace as a workspace-relative POSIX path; other paths unchanged. */
export function workspaceRelative(file: string, workspace: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(workspace, file);
  return rel.startsWith("..") || isAbsolute(rel) ? file : rel.split("\\").join("/");
}
