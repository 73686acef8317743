import { readRef, type GitDataPort } from "./git-data.ts";
import { httpStatus } from "./http-status.ts";

/** What readReleaseProvenance needs of an Octokit client. */
export type ReleaseProvenancePort = GitDataPort & {
  rest: GitDataPort["rest"] & {
    repos: {
      get(params: { owner: string; repo: string }): Promise<{ data: { default_branch: string } }>;
      getReleaseByTag(params: {
        owner: string;
        repo: string;
        tag: string;
      }): Promise<{ data: { author?: { login: string } | null } }>;
    };
  };
};

export type ReleaseProvenance = {
  /** The release's author as GitHub records it (the token that created it); null when none. */
  author: string | null;
  /** The commit the tag points at; null when the tag is gone. */
  commit: string | null;
  defaultBranch: string;
};

/**
 * Who created a version's release and which commit its tag names, from GitHub's own records
 * (never from the release body, which its author writes). A missing release has no author.
 */
export async function readReleaseProvenance(
  octokit: ReleaseProvenancePort,
  opts: { owner: string; repo: string; tag: string },
): Promise<ReleaseProvenance> {
  const repo = { owner: opts.owner, repo: opts.repo };
  let author: string | null = null;
  try {
    const { data } = await octokit.rest.repos.getReleaseByTag({ ...repo, tag: opts.tag });
    author = data.author?.login ?? null;
  } catch (err) {
    if (httpStatus(err) !== 404) throw err;
  }
  const [commit, { data }] = await Promise.all([
    readRef(octokit, repo, `refs/tags/${opts.tag}`),
    octokit.rest.repos.get(repo),
  ]);
  return { author, commit: commit ?? null, defaultBranch: data.default_branch };
}
