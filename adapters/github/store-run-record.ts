import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { commitToBranch, type BranchGitPort } from "./commit-to-branch.ts";
import { httpStatus } from "./http-status.ts";

/** The branch holding CI runs' records, where `modelship runs pull` finds them after artifacts expire. */
export const RUNS_BRANCH = "modelship-runs";

/** What a run record keeps of a run directory: everything but the model. */
export const RUN_RECORD_FILES = [
  "run.json",
  "metrics.json",
  "params.json",
  "history.json",
  "explanation.json",
  "validation.json",
] as const;

/** A run id as a single, harmless path segment. */
export function runRecordFolder(runId: string): string {
  return `runs/${runId.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_")}`;
}

export type StoredRunRecord =
  | { ok: true; commit: string; path: string }
  | { ok: false; reason: "runs-branch-forbidden" | "runs-branch-failed"; message: string };

/**
 * Commits a run's record (params, metrics, history, digests in run.json; not the model) to the
 * `modelship-runs` branch under `runs/<run id>/`. Reports failure instead of throwing.
 */
export async function storeRunRecord(
  octokit: BranchGitPort,
  opts: { owner: string; repo: string; runDir: string; runId: string; message: string },
): Promise<StoredRunRecord> {
  const folder = runRecordFolder(opts.runId);
  try {
    const files: Array<{ path: string; content: string }> = [];
    for (const name of RUN_RECORD_FILES) {
      const text = await readFile(join(opts.runDir, name), "utf8").catch(() => null);
      if (text !== null) files.push({ path: `${folder}/${name}`, content: text });
    }
    const commit = await commitToBranch(octokit, {
      owner: opts.owner,
      repo: opts.repo,
      branch: RUNS_BRANCH,
      files,
      message: opts.message,
    });
    return { ok: true, commit, path: folder };
  } catch (err) {
    const status = httpStatus(err);
    const forbidden = status === 403 || status === 404;
    return {
      ok: false,
      reason: forbidden ? "runs-branch-forbidden" : "runs-branch-failed",
      message: forbidden
        ? `cannot write the ${RUNS_BRANCH} branch (HTTP ${status}); give the workflow \`contents: write\` to keep run records`
        : `could not store the run record: ${(err as Error).message}`,
    };
  }
}
