import type { Context } from "probot";
import { httpStatus } from "../adapters/github/http-status.ts";

export type OpenFilesPullResult =
  { outcome: "opened"; number: number } | { outcome: "skipped"; reason: "branch-exists" };

/**
 * Opens a pull request that adds `files` on a new branch from the default branch's head. The
 * branch is created in one atomic request: when it exists, nothing is opened (idempotent).
 */
export async function openFilesPull(
  octokit: Context["octokit"],
  opts: {
    owner: string;
    repo: string;
    branch: string;
    files: ReadonlyArray<{ path: string; content: string }>;
    message: string;
    title: string;
    body: string;
  },
): Promise<OpenFilesPullResult> {
  const r = { owner: opts.owner, repo: opts.repo };
  try {
    await octokit.rest.git.getRef({ ...r, ref: `heads/${opts.branch}` });
    return { outcome: "skipped", reason: "branch-exists" };
  } catch (err) {
    if (httpStatus(err) !== 404) throw err;
  }
  const { data: info } = await octokit.rest.repos.get(r);
  const base = info.default_branch;
  const { data: head } = await octokit.rest.git.getRef({ ...r, ref: `heads/${base}` });
  const { data: headCommit } = await octokit.rest.git.getCommit({ ...r, commit_sha: head.object.sha });
  const { data: tree } = await octokit.rest.git.createTree({
    ...r,
    base_tree: headCommit.tree.sha,
    tree: opts.files.map((f) => ({
      path: f.path,
      mode: "100644" as const,
      type: "blob" as const,
      content: f.content,
    })),
  });
  const { data: commit } = await octokit.rest.git.createCommit({
    ...r,
    message: opts.message,
    tree: tree.sha,
    parents: [head.object.sha],
  });
  try {
    await octokit.rest.git.createRef({ ...r, ref: `refs/heads/${opts.branch}`, sha: commit.sha });
  } catch (err) {
    if (httpStatus(err) === 422) return { outcome: "skipped", reason: "branch-exists" };
    throw err;
  }
  const { data: pull } = await octokit.rest.pulls.create({
    ...r,
    head: opts.branch,
    base,
    title: opts.title,
    body: opts.body,
  });
  return { outcome: "opened", number: pull.number };
}
