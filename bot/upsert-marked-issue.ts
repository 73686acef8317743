import type { Context } from "probot";

/** How many pages of open issues are searched for the marker (100 each, newest first). */
const MAX_PAGES = 3;

/** The open issue this App wrote whose body carries `marker`; null when none. */
export async function findMarkedIssue(
  octokit: Context["octokit"],
  opts: { owner: string; repo: string; marker: string },
): Promise<{ number: number; body: string } | null> {
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await octokit.rest.issues.listForRepo({
      owner: opts.owner,
      repo: opts.repo,
      state: "open",
      sort: "created",
      direction: "desc",
      per_page: 100,
      page,
    });
    const found = data.find(
      (i) => !i.pull_request && i.user?.type === "Bot" && (i.body ?? "").includes(opts.marker),
    );
    if (found) return { number: found.number, body: found.body ?? "" };
    if (data.length < 100) return null;
  }
  return null;
}

/** Opens the one issue that carries `marker`, or updates the open one; unchanged text writes nothing. */
export async function upsertMarkedIssue(
  octokit: Context["octokit"],
  opts: { owner: string; repo: string; marker: string; title: string; body: string },
): Promise<{ outcome: "opened" | "updated" | "unchanged"; number: number }> {
  const r = { owner: opts.owner, repo: opts.repo };
  const existing = await findMarkedIssue(octokit, opts);
  if (existing) {
    if (existing.body === opts.body) return { outcome: "unchanged", number: existing.number };
    await octokit.rest.issues.update({
      ...r,
      issue_number: existing.number,
      title: opts.title,
      body: opts.body,
    });
    return { outcome: "updated", number: existing.number };
  }
  const { data } = await octokit.rest.issues.create({ ...r, title: opts.title, body: opts.body });
  return { outcome: "opened", number: data.number };
}

/** Closes the open issue that carries `marker` with a comment; null when there was none. */
export async function closeMarkedIssue(
  octokit: Context["octokit"],
  opts: { owner: string; repo: string; marker: string; comment: string },
): Promise<number | null> {
  const existing = await findMarkedIssue(octokit, opts);
  if (!existing) return null;
  const r = { owner: opts.owner, repo: opts.repo, issue_number: existing.number };
  await octokit.rest.issues.createComment({ ...r, body: opts.comment });
  await octokit.rest.issues.update({ ...r, state: "closed", state_reason: "completed" });
  return existing.number;
}
