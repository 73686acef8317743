import type { InitFile } from "./render-init-files.ts";

/**
 * What init does with one file; `keep-edits` leaves a file the user changed alone, `update` adds
 * to a file the user owns (the `.gitignore` entry).
 */
export type InitStepKind = "create" | "unchanged" | "keep-edits" | "overwrite" | "update";

export type InitStep = { path: string; kind: InitStepKind; content: string };

/**
 * Decides per file: create it when absent, leave it when it already holds exactly what init
 * writes, and otherwise keep the user's version unless `force` is set.
 */
export function planInit(
  files: readonly InitFile[],
  existing: ReadonlyMap<string, string>,
  options: { force: boolean },
): InitStep[] {
  return files.map((file) => {
    // A checkout with CRLF line endings holds the same file.
    const current = existing.get(file.path)?.replace(/\r\n/g, "\n");
    const kind: InitStepKind =
      current === undefined
        ? "create"
        : current === file.content
          ? "unchanged"
          : options.force
            ? "overwrite"
            : "keep-edits";
    return { path: file.path, kind, content: file.content };
  });
}

/** True when applying the plan writes at least one file. */
export function planWrites(steps: readonly InitStep[]): boolean {
  return steps.some((s) => s.kind === "create" || s.kind === "overwrite" || s.kind === "update");
}
