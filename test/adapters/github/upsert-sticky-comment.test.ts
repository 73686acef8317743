import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { upsertStickyComment } from "../../../adapters/github/upsert-sticky-comment.ts";
import { reportMarker } from "../../../core/report/render-markdown.ts";
import { startFakeGitHub, type FakeGitHub, type FakeRepo } from "../../support/fake-github/fake-github.ts";
import type { FakeUser } from "../../support/fake-github/fake-state.ts";
import { CLIENTS } from "./github-clients.ts";

let gh: FakeGitHub;
let repo: FakeRepo;
const marker = reportMarker("iris");
const bot = { login: "github-actions[bot]", id: 41898282, type: "Bot" as const };
const human = { login: "alice", id: 5, type: "User" as const };

beforeAll(async () => {
  gh = await startFakeGitHub();
});
afterAll(() => gh.close());
beforeEach(() => {
  repo = gh.repo("acme", `models-${Math.random().toString(36).slice(2, 8)}`);
  gh.calls.length = 0;
});

function seed(
  n: number,
  at: number | undefined,
  author: FakeUser = bot,
  body = `${marker}\nold report`,
): void {
  for (let i = 0; i < n; i++) {
    const id = 10_000 + repo.comments.length;
    const text = i === at ? body : `chatter ${i}`;
    repo.comments.push({
      id,
      issueNumber: 7,
      body: text,
      user: i === at ? author : human,
      createdAt: "2026-01-01T00:00:00Z",
      updatedAt: "2026-01-01T00:00:00Z",
    });
  }
}

describe("upsertStickyComment", () => {
  it.each(CLIENTS)("finds its comment on the third page and updates it (%s client)", async (_kind, make) => {
    seed(250, 230);
    const result = await upsertStickyComment(make(gh), {
      owner: "acme",
      repo: repo.name,
      issueNumber: 7,
      marker,
      body: `${marker}\nnew report`,
    });
    expect(result.action).toBe("updated");
    expect(gh.calls.map((c) => [c.operationId, c.query.page])).toEqual([
      ["issues/list-comments", "1"],
      ["issues/list-comments", "2"],
      ["issues/list-comments", "3"],
      ["issues/update-comment", undefined],
    ]);
    expect(repo.comments.filter((c) => c.body.includes(marker))).toHaveLength(1);
    expect(repo.comments.find((c) => c.id === result.id)?.body).toBe(`${marker}\nnew report`);
    expect(gh.invalid).toEqual([]);
  });

  it("creates the comment when no page has it, after reading every page", async () => {
    seed(120, undefined);
    const result = await upsertStickyComment(CLIENTS[1][1](gh), {
      owner: "acme",
      repo: repo.name,
      issueNumber: 7,
      marker,
      body: `${marker}\nfirst`,
    });
    expect(result.action).toBe("created");
    expect(gh.calls.map((c) => c.operationId)).toEqual([
      "issues/list-comments",
      "issues/list-comments",
      "issues/create-comment",
    ]);
    expect(gh.calls.at(-1)?.body).toEqual({ body: `${marker}\nfirst` });
    expect(gh.invalid).toEqual([]);
  });

  it("leaves an identical comment alone", async () => {
    seed(3, 1, bot, `${marker}\nsame`);
    const result = await upsertStickyComment(CLIENTS[1][1](gh), {
      owner: "acme",
      repo: repo.name,
      issueNumber: 7,
      marker,
      body: `${marker}\nsame`,
    });
    expect(result.action).toBe("unchanged");
    expect(gh.calls.map((c) => c.operationId)).toEqual(["issues/list-comments"]);
  });

  it.each([
    ["a person's comment quoting the marker", human, undefined],
    [
      "another bot's comment when the author is named",
      { login: "other[bot]", id: 9, type: "Bot" as const },
      "github-actions[bot]",
    ],
  ])("never edits %s", async (_label, author, expectedAuthor) => {
    seed(3, 1, author);
    const result = await upsertStickyComment(CLIENTS[1][1](gh), {
      owner: "acme",
      repo: repo.name,
      issueNumber: 7,
      marker,
      body: `${marker}\nmine`,
      ...(expectedAuthor !== undefined ? { author: expectedAuthor } : {}),
    });
    expect(result.action).toBe("created");
    expect(repo.comments.find((c) => c.user.login === author.login && c.body.includes(marker))?.body).toBe(
      `${marker}\nold report`,
    );
    expect(gh.callsTo("issues/update-comment")).toEqual([]);
  });
});
