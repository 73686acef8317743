import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { InitStep } from "../../core/init/plan-init.ts";

/** Reads the files init would write that already exist in the repository. */
export async function readExistingFiles(
  repoDir: string,
  paths: readonly string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const p of paths) {
    try {
      found.set(p, await readFile(join(repoDir, p), "utf8"));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  return found;
}

/** Writes the files the plan creates, overwrites or updates; leaves every other file untouched. */
export async function applyInitPlan(repoDir: string, steps: readonly InitStep[]): Promise<void> {
  for (const step of steps) {
    if (step.kind === "unchanged" || step.kind === "keep-edits") continue;
    const target = join(repoDir, step.path);
    await mkdir(dirname(target), { recursive: true });
    // `wx` refuses to replace a file that appeared since the plan was made.
    await writeFile(target, step.content, { flag: step.kind === "create" ? "wx" : "w" });
  }
}
