import { httpStatus } from "./http-status.ts";

type RefData = { ref: string; object: { sha: string; type: string } };
type CommitData = { sha: string; message: string; parents: Array<{ sha: string }>; tree: { sha: string } };

/** The Git database calls that locks and aliases need of an Octokit client. */
export type GitDataPort = {
  rest: {
    git: {
      getRef(params: { owner: string; repo: string; ref: string }): Promise<{ data: RefData }>;
      createRef(params: {
        owner: string;
        repo: string;
        ref: string;
        sha: string;
      }): Promise<{ data: RefData }>;
      updateRef(params: {
        owner: string;
        repo: string;
        ref: string;
        sha: string;
        force?: boolean;
      }): Promise<{ data: RefData }>;
      deleteRef(params: { owner: string; repo: string; ref: string }): Promise<unknown>;
      createTree(params: {
        owner: string;
        repo: string;
        tree: Array<{ path: string; mode: "100644"; type: "blob"; content: string }>;
      }): Promise<{ data: { sha: string } }>;
      createCommit(params: {
        owner: string;
        repo: string;
        message: string;
        tree: string;
        parents: string[];
      }): Promise<{ data: CommitData }>;
      getCommit(params: { owner: string; repo: string; commit_sha: string }): Promise<{ data: CommitData }>;
    };
  };
};

type Repo = { owner: string; repo: string };

/** `refs/heads/x` → `heads/x`, the form the single-ref endpoints take. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\//, "");
}

/** The commit a ref points at; undefined when the ref does not exist. */
export async function readRef(octokit: GitDataPort, repo: Repo, ref: string): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.git.getRef({ ...repo, ref: shortRef(ref) });
    // getRef answers for the exact ref only; guard against a prefix match all the same.
    return data.ref === ref ? data.object.sha : undefined;
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}

/** A commit with one file (`path` holding `content`) and the given parents; returns its sha. */
export async function createFileCommit(
  octokit: GitDataPort,
  repo: Repo,
  opts: { path: string; content: string; message: string; parents: string[] },
): Promise<string> {
  const { data: tree } = await octokit.rest.git.createTree({
    ...repo,
    tree: [{ path: opts.path, mode: "100644", type: "blob", content: opts.content }],
  });
  const { data } = await octokit.rest.git.createCommit({
    ...repo,
    message: opts.message,
    tree: tree.sha,
    parents: opts.parents,
  });
  return data.sha;
}

/** True when GitHub answered that a ref already exists (the atomic create lost a race). */
export function isRefExists(err: unknown): boolean {
  return (
    httpStatus(err) === 422 &&
    /already exists/i.test(
      String(
        (err as { response?: { data?: { message?: string } } }).response?.data?.message ??
          (err as Error).message,
      ),
    )
  );
}
