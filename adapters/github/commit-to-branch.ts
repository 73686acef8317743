import { httpStatus } from "./http-status.ts";

type RefData = { ref: string; object: { sha: string } };
/** A file for the tree: text `content`, or the sha of a blob created before (binary files). */
export type BranchFile = { path: string; content: string } | { path: string; sha: string };

/** The Git database calls committing to a side branch needs. */
export type BranchGitPort = {
  rest: {
    git: {
      getRef(p: { owner: string; repo: string; ref: string }): Promise<{ data: RefData }>;
      getCommit(p: {
        owner: string;
        repo: string;
        commit_sha: string;
      }): Promise<{ data: { tree: { sha: string } } }>;
      createTree(p: {
        owner: string;
        repo: string;
        base_tree?: string;
        tree: Array<{ path: string; mode: "100644"; type: "blob"; sha?: string; content?: string }>;
      }): Promise<{ data: { sha: string } }>;
      createCommit(p: {
        owner: string;
        repo: string;
        message: string;
        tree: string;
        parents: string[];
      }): Promise<{ data: { sha: string } }>;
      createRef(p: { owner: string; repo: string; ref: string; sha: string }): Promise<{ data: RefData }>;
      updateRef(p: {
        owner: string;
        repo: string;
        ref: string;
        sha: string;
        force?: boolean;
      }): Promise<{ data: RefData }>;
    };
  };
};

/**
 * Adds `files` on top of `branch` in one commit (creating the branch, without history, when it
 * does not exist) and returns the commit's sha; when the files are there already, the head's. The
 * branch only ever grows: it is never merged.
 */
export async function commitToBranch(
  octokit: BranchGitPort,
  opts: { owner: string; repo: string; branch: string; files: readonly BranchFile[]; message: string },
): Promise<string> {
  const r = { owner: opts.owner, repo: opts.repo };
  const head = await branchHead(octokit, { ...r, branch: opts.branch });
  const baseTree = head
    ? (await octokit.rest.git.getCommit({ ...r, commit_sha: head })).data.tree.sha
    : undefined;
  const { data: tree } = await octokit.rest.git.createTree({
    ...r,
    ...(baseTree ? { base_tree: baseTree } : {}),
    tree: opts.files.map((f) => ({
      path: f.path,
      mode: "100644" as const,
      type: "blob" as const,
      ...("sha" in f ? { sha: f.sha } : { content: f.content }),
    })),
  });
  // Nothing new (the same images or record again): the head already holds it, and links to it stay put.
  if (head && tree.sha === baseTree) return head;
  const { data: commit } = await octokit.rest.git.createCommit({
    ...r,
    message: opts.message,
    tree: tree.sha,
    parents: head ? [head] : [],
  });
  if (head) await octokit.rest.git.updateRef({ ...r, ref: `heads/${opts.branch}`, sha: commit.sha });
  else await octokit.rest.git.createRef({ ...r, ref: `refs/heads/${opts.branch}`, sha: commit.sha });
  return commit.sha;
}

async function branchHead(
  octokit: BranchGitPort,
  r: { owner: string; repo: string; branch: string },
): Promise<string | undefined> {
  try {
    return (await octokit.rest.git.getRef({ owner: r.owner, repo: r.repo, ref: `heads/${r.branch}` })).data
      .object.sha;
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}
