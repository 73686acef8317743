import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { RUN_FILES } from "../../core/run/run-record.ts";

/**
 * `root` itself when it is a run directory, else every folder in it, sorted: where a sweep's
 * trials (or downloaded artifacts) are read from. A missing `root` is a usage error with `hint`.
 */
export async function listRunDirs(root: string, hint: string): Promise<string[]> {
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) {
    throw new ModelshipError({
      code: "run-dir-missing",
      message: `${root} does not exist or is not a directory`,
      where: { file: root },
      hint,
    });
  }
  const isRunDir = await stat(join(root, RUN_FILES.record)).then(
    (s) => s.isFile(),
    () => false,
  );
  if (isRunDir) return [root];
  return (await readdir(root, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => join(root, e.name))
    .sort();
}
