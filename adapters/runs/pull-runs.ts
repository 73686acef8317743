import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ModelshipError } from "../../core/errors.ts";
import { RUN_RECORD_FILES, RUNS_BRANCH } from "../github/store-run-record.ts";
import { DEFAULT_RUNS_DIR, PULLED_DIR } from "./index-runs.ts";

const run = promisify(execFile);

export type PullResult = { remote: string; pulled: string[]; unchanged: string[] };

/**
 * Fetches the `modelship-runs` branch from `remote` and copies each run record in it into
 * `<runsDir>/pulled/<run id>/`, where the run index finds them. Only record files are copied.
 */
export async function pullRuns(opts: {
  workspace: string;
  runsDir?: string;
  remote?: string;
}): Promise<PullResult> {
  const remote = opts.remote ?? "origin";
  const ref = `refs/remotes/${remote}/${RUNS_BRANCH}`;
  const git = async (...args: string[]) =>
    (await run("git", args, { cwd: opts.workspace, maxBuffer: 256 * 1024 * 1024 })).stdout;
  try {
    await git("fetch", "--quiet", remote, `+refs/heads/${RUNS_BRANCH}:${ref}`);
  } catch (err) {
    const text = (err as { stderr?: string }).stderr ?? (err as Error).message;
    throw new ModelshipError({
      code: /couldn't find remote ref/i.test(text) ? "runs-branch-missing" : "runs-pull-failed",
      message: `cannot fetch ${RUNS_BRANCH} from ${remote}: ${text.trim().split("\n")[0]}`,
      hint: /couldn't find remote ref/i.test(text)
        ? "No CI run has been recorded yet: the Action's report command writes the branch (it needs `contents: write`)."
        : "Run it inside a clone of the repository, with --remote naming the GitHub remote.",
    });
  }
  const names = (await git("ls-tree", "-r", "--name-only", ref, "--", "runs/")).split("\n").filter(Boolean);
  const allowed = new Set<string>(RUN_RECORD_FILES);
  const byRun = new Map<string, string[]>();
  for (const path of names) {
    const m = /^runs\/([A-Za-z0-9._-]+)\/([^/]+)$/.exec(path);
    if (!m || m[1]!.startsWith(".") || !allowed.has(m[2]!)) continue;
    byRun.set(m[1]!, [...(byRun.get(m[1]!) ?? []), m[2]!]);
  }
  const result: PullResult = { remote, pulled: [], unchanged: [] };
  const root = join(opts.workspace, opts.runsDir ?? DEFAULT_RUNS_DIR, PULLED_DIR);
  for (const [id, files] of [...byRun].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const dir = join(root, id);
    await mkdir(dir, { recursive: true });
    let changed = false;
    for (const file of files) {
      const text = await git("show", `${ref}:runs/${id}/${file}`);
      const before = await readFile(join(dir, file), "utf8").catch(() => null);
      if (before === text) continue;
      await writeFile(join(dir, file), text);
      changed = true;
    }
    (changed ? result.pulled : result.unchanged).push(id);
  }
  return result;
}
