import { simpleGit } from "simple-git";

export type CodeRevision = { commit: string | null; dirty: boolean; branch: string | null };

/** The commit, branch and dirty state of the repository at `dir`; nulls when it is not a git repository. */
export async function codeRevision(dir: string): Promise<CodeRevision> {
  const git = simpleGit({ baseDir: dir });
  try {
    if (!(await git.checkIsRepo())) return { commit: null, dirty: false, branch: null };
  } catch {
    return { commit: null, dirty: false, branch: null };
  }
  const commit = await git.revparse(["HEAD"]).then(
    (s) => s.trim() || null,
    () => null,
  );
  const branch = await git.revparse(["--abbrev-ref", "HEAD"]).then(
    (s) => (s.trim() && s.trim() !== "HEAD" ? s.trim() : null),
    () => null,
  );
  const dirty = await git.status().then(
    (s) => !s.isClean(),
    () => false,
  );
  return { commit, dirty, branch };
}
