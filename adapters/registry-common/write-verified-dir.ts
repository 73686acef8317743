import { mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve as resolvePath } from "node:path";
import { ModelshipError, type Problem } from "../../core/errors.ts";

/** Receives one verified file of a version: its path in the run directory and its bytes. */
export type ArtifactSink = (path: string, bytes: Buffer) => Promise<void>;

/**
 * Writes a version's files into destDir (absent or empty), all or nothing: `fill` hands verified
 * files to the sink and returns the problems it found; on any problem (thrown as ModelshipError)
 * or error destDir is left as it was. Returns destDir's absolute path.
 */
export async function writeVerifiedDir(
  destDir: string,
  fill: (sink: ArtifactSink) => Promise<Problem[]>,
): Promise<string> {
  const dir = resolvePath(destDir);
  const state = await dirState(dir);
  if (state === "non-empty") {
    throw new ModelshipError({
      code: "destination-not-empty",
      message: `${dir} already exists and is not empty`,
      hint: "Materialize into a new or empty directory.",
    });
  }
  await mkdir(dirname(dir), { recursive: true });
  // Files land in a sibling staging directory that is renamed into place only once all are verified.
  const staging = await mkdtemp(join(dirname(dir), `.${basename(dir)}.modelship-`));
  try {
    const problems = await fill(async (path, bytes) => {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      await writeFile(join(staging, path), bytes);
    });
    if (problems.length > 0) throw new ModelshipError(problems);
    if (state === "empty") await rmdir(dir);
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/** Whether a destination directory is missing, empty, or holds something (a file counts as non-empty). */
export async function dirState(dir: string): Promise<"absent" | "empty" | "non-empty"> {
  try {
    return (await readdir(dir)).length > 0 ? "non-empty" : "empty";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "absent";
    if (code === "ENOTDIR") return "non-empty";
    throw err;
  }
}
