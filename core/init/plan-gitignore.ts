import type { InitStep } from "./plan-init.ts";

/** The line `modelship init` adds: runs, the deploy state and the admin token stay out of git. */
export const GITIGNORE_ENTRY = ".modelship/";

// Lines that already keep the folder out of git, anchored or not.
const IGNORES_MODELSHIP = /^\/?\.modelship(\/(\*\*?)?)?$/;

/**
 * The `.gitignore` step: create the file when absent, append the entry (keeping every existing
 * line and the file's line endings) when no line ignores `.modelship/` yet, else leave it alone.
 */
export function planGitignore(current: string | undefined): InitStep {
  const path = ".gitignore";
  if (current === undefined) return { path, kind: "create", content: `${GITIGNORE_ENTRY}\n` };
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => IGNORES_MODELSHIP.test(l))) return { path, kind: "unchanged", content: current };
  const eol = current.includes("\r\n") ? "\r\n" : "\n";
  const separator = current === "" || current.endsWith("\n") ? "" : eol;
  return { path, kind: "update", content: `${current}${separator}${GITIGNORE_ENTRY}${eol}` };
}
