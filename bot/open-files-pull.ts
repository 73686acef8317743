import type { Context } from "probot";
import { httpStatus } from "../adapters/github/http-status.ts";
import { branchHead, commitFiles, defaultBranchHead, type FilesPullOptions } from "./commit-files.ts";

export type OpenFilesPullResult =
  { outcome: "opened"; number: number } | { outcome: "skipped"; reason: "branch-exists" };

/**
 * Opens a pull request that adds `files` on a new branch from the default branch's head. The
 * branch is created in one atomic request: when it exists, nothing is opened (idempotent).
 */
export async function openFilesPull(
  octokit: Context["octokit"],
  opts: FilesPullOptions,
): Promise<OpenFilesPullResult> {
  const r = { owner: opts.owner, repo: opts.repo };
  if ((await branchHead(octokit, { ...r, branch: opts.branch })) !== null)
    return { outcome: "skipped", reason: "branch-exists" };
  const { base, sha: headSha } = await defaultBranchHead(octokit, r);
  const sha = await commitFiles(octokit, { ...r, parent: headSha, files: opts.files, message: opts.message });
  try {
    await octokit.rest.git.createRef({ ...r, ref: `refs/heads/${opts.branch}`, sha });
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
