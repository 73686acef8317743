import { GITHUB_COMMENT_LIMIT } from "../../core/report/render-markdown.ts";

type CommentData = {
  id: number;
  body?: string | undefined;
  user: { login: string; type: string } | null;
  html_url: string;
};

/** What upsertStickyComment needs of an Octokit client (Probot's and @actions/github's both fit). */
export type StickyCommentPort = {
  rest: {
    issues: {
      listComments(params: {
        owner: string;
        repo: string;
        issue_number: number;
        per_page?: number;
        page?: number;
      }): Promise<{ data: CommentData[] }>;
      createComment(params: {
        owner: string;
        repo: string;
        issue_number: number;
        body: string;
      }): Promise<{ data: CommentData }>;
      updateComment(params: {
        owner: string;
        repo: string;
        comment_id: number;
        body: string;
      }): Promise<{ data: CommentData }>;
    };
  };
};

export type StickyCommentResult = { id: number; url: string; action: "created" | "updated" | "unchanged" };

const PER_PAGE = 100;

/**
 * Finds the comment carrying `marker` on an issue or pull request (every page is read), then
 * updates it (or leaves it when the body is the same) or creates it. Only comments written by
 * `author` (a login such as `modelship[bot]` or `github-actions[bot]`) are candidates; without
 * `author`, only comments by bots are, so a person's comment quoting the marker is never edited.
 * When several match, the oldest is kept as the sticky one.
 */
export async function upsertStickyComment(
  octokit: StickyCommentPort,
  opts: { owner: string; repo: string; issueNumber: number; marker: string; body: string; author?: string },
): Promise<StickyCommentResult> {
  const { owner, repo, issueNumber, marker } = opts;
  if (!opts.body.includes(marker)) throw new Error("upsertStickyComment: the body must contain the marker");
  if (opts.body.length > GITHUB_COMMENT_LIMIT)
    throw new Error(`upsertStickyComment: body is over ${GITHUB_COMMENT_LIMIT} characters`);
  const ours = (c: CommentData): boolean =>
    c.body?.includes(marker) === true &&
    c.user !== null &&
    (opts.author !== undefined ? c.user.login === opts.author : c.user.type === "Bot");
  let found: CommentData | undefined;
  for (let page = 1; found === undefined; page++) {
    const { data } = await octokit.rest.issues.listComments({
      owner,
      repo,
      issue_number: issueNumber,
      per_page: PER_PAGE,
      page,
    });
    found = data.find(ours);
    if (data.length < PER_PAGE) break;
  }
  if (found === undefined) {
    const { data } = await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: issueNumber,
      body: opts.body,
    });
    return { id: data.id, url: data.html_url, action: "created" };
  }
  if (found.body === opts.body) return { id: found.id, url: found.html_url, action: "unchanged" };
  const { data } = await octokit.rest.issues.updateComment({
    owner,
    repo,
    comment_id: found.id,
    body: opts.body,
  });
  return { id: data.id, url: data.html_url, action: "updated" };
}
