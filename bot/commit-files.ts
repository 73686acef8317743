import type { Context } from "probot";
import { httpStatus } from "../adapters/github/http-status.ts";

type Repo = { owner: string; repo: string };

/** A pull request that writes `files` in one commit on `branch`. */
export type FilesPullOptions = Repo & {
  branch: string;
  files: ReadonlyArray<{ path: string; content: string }>;
  message: string;
  title: string;
  body: string;
};

/** The default branch's name and the commit at its head. */
export async function defaultBranchHead(
  octokit: Context["octokit"],
  r: Repo,
): Promise<{ base: string; sha: string }> {
  const { data: info } = await octokit.rest.repos.get({ owner: r.owner, repo: r.repo });
  const base = info.default_branch;
  const { data: ref } = await octokit.rest.git.getRef({ owner: r.owner, repo: r.repo, ref: `heads/${base}` });
  return { base, sha: ref.object.sha };
}

/** The commit `branch` points at; null when there is no such branch. */
export async function branchHead(
  octokit: Context["octokit"],
  opts: Repo & { branch: string },
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

/** Creates one commit on `parent` that writes `files` (regular text files) over its tree; returns its sha. */
export async function commitFiles(
  octokit: Context["octokit"],
  opts: Repo & { parent: string; files: ReadonlyArray<{ path: string; content: string }>; message: string },
): Promise<string> {
  const r = { owner: opts.owner, repo: opts.repo };
  const { data: parent } = await octokit.rest.git.getCommit({ ...r, commit_sha: opts.parent });
  const { data: tree } = await octokit.rest.git.createTree({
    ...r,
    base_tree: parent.tree.sha,
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
    parents: [opts.parent],
  });
  return commit.sha;
}
