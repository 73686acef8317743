/** Where in a file a problem is. Lines and columns start at 1. */
export type SourceLocation = { file: string; line?: number; column?: number };

export type Problem = {
  /** Stable, machine-readable reason code (kebab-case). */
  code: string;
  /** What is wrong. */
  message: string;
  where?: SourceLocation;
  /** How to fix it. */
  hint?: string;
};

/** An error a user can act on: one or more problems, each with what, where and how to fix. */
export class ModelshipError extends Error {
  readonly code: string;
  readonly problems: readonly Problem[];
  /** The input was fine but a check on the result failed (exit 1), rather than bad input (exit 2). */
  readonly failedCheck: boolean;
  constructor(problems: Problem | readonly Problem[], opts: { failedCheck?: boolean } = {}) {
    const list = Array.isArray(problems) ? (problems as readonly Problem[]) : [problems as Problem];
    super(list.map(formatProblem).join("\n"));
    this.name = "ModelshipError";
    this.code = list[0]?.code ?? "error";
    this.problems = list;
    this.failedCheck = opts.failedCheck ?? false;
  }
}

/** Exit codes every front door uses: 0 success, 1 a check or gate failed, 2 bad input or usage. */
export const EXIT_CODES = { ok: 0, checkFailed: 1, usage: 2 } as const;

/** `file:line:column: message (expected ...)` — the shape editors and CI annotations understand. */
export function formatProblem(p: Problem): string {
  const where = p.where
    ? `${p.where.file}${p.where.line ? `:${p.where.line}` : ""}${p.where.line && p.where.column ? `:${p.where.column}` : ""}: `
    : "";
  return `${where}${p.message}${p.hint ? `\n  hint: ${p.hint}` : ""} [${p.code}]`;
}
