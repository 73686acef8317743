import type { Context } from "probot";
import { httpStatus } from "../adapters/github/http-status.ts";

export type CandidatePullResult = { outcome: "opened" | "updated" | "unchanged"; number: number };

/**
 * Keeps ONE open pull request on `branch`: the branch is (re)built as one commit with `files` on
 * the default branch's head, then the open pull request of that branch is updated, or one is
 * opened. A commit that already holds `message` on the current base is kept (a redelivery).
 */
export async function upsertCandidatePull(
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
): Promise<CandidatePullResult> {
  const r = { owner: opts.owner, repo: opts.repo };
  const { data: info } = await octokit.rest.repos.get(r);
  const base = info.default_branch;
  const { data: baseRef } = await octokit.rest.git.getRef({ ...r, ref: `heads/${base}` });
  const baseSha = baseRef.object.sha;
  const current = await branchHead(octokit, { ...r, branch: opts.branch });
  const kept =
    current !== null &&
    (await octokit.rest.git
      .getCommit({ ...r, commit_sha: current })
      .then(
        ({ data }) => data.message === opts.message && data.parents.map((p) => p.sha).join() === baseSha,
      ));
  if (!kept) {
    const { data: baseCommit } = await octokit.rest.git.getCommit({ ...r, commit_sha: baseSha });
    const { data: tree } = await octokit.rest.git.createTree({
      ...r,
      base_tree: baseCommit.tree.sha,
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
      parents: [baseSha],
    });
    // The branch belongs to the App: each candidate replaces the previous one (force).
    if (current === null)
      await octokit.rest.git.createRef({ ...r, ref: `refs/heads/${opts.branch}`, sha: commit.sha });
    else
      await octokit.rest.git.updateRef({ ...r, ref: `heads/${opts.branch}`, sha: commit.sha, force: true });
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

async function branchHead(
  octokit: Context["octokit"],
  opts: { owner: string; repo: string; branch: string },
): Promise<string | null> {
  try {
    const { data } = await octokit.rest.git.getRef({
      owner: opts.owner,
      repo: opts.repo,
      ref: `heads/${opts.branch}`,
    });
    return data.object.sha;
  } catch (err) {
    if (httpStatus(err) === 404) return null;
    throw err;
  }
}
