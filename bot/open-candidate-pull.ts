import type { Context } from "probot";
import { branchHead, commitFiles, defaultBranchHead, type FilesPullOptions } from "./commit-files.ts";

export type CandidatePullResult = { outcome: "opened" | "updated" | "unchanged"; number: number };

/**
 * Keeps ONE open pull request on `branch`: the branch is (re)built as one commit with `files` on
 * the default branch's head, then the open pull request of that branch is updated, or one is
 * opened. A commit that already holds `message` on the current base is kept (a redelivery).
 */
export async function upsertCandidatePull(
  octokit: Context["octokit"],
  opts: FilesPullOptions,
): Promise<CandidatePullResult> {
  const r = { owner: opts.owner, repo: opts.repo };
  const { base, sha: baseSha } = await defaultBranchHead(octokit, r);
  const current = await branchHead(octokit, { ...r, branch: opts.branch });
  const kept =
    current !== null &&
    (await octokit.rest.git
      .getCommit({ ...r, commit_sha: current })
      .then(
        ({ data }) => data.message === opts.message && data.parents.map((p) => p.sha).join() === baseSha,
      ));
  if (!kept) {
    const sha = await commitFiles(octokit, {
      ...r,
      parent: baseSha,
      files: opts.files,
      message: opts.message,
    });
    // The branch belongs to the App: each candidate replaces the previous one (force).
    if (current === null) await octokit.rest.git.createRef({ ...r, ref: `refs/heads/${opts.branch}`, sha });
    else await octokit.rest.git.updateRef({ ...r, ref: `heads/${opts.branch}`, sha, force: true });
  }
  const { data: open } = await octokit.rest.pulls.list({
    ...r,
    head: `${opts.owner}:${opts.branch}`,
    base,
    state: "open",
    per_page: 1,
  });
  const existing = open[0];
  if (existing) {
    if (existing.title === opts.title && existing.body === opts.body)
      return { outcome: "unchanged", number: existing.number };
    await octokit.rest.pulls.update({
      ...r,
      pull_number: existing.number,
      title: opts.title,
      body: opts.body,
    });
    return { outcome: "updated", number: existing.number };
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
