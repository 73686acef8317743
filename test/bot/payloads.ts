import { createRequire } from "node:module";
import type { FakeGitHub, FakeRepo } from "../support/fake-github/fake-github.ts";
import type { FakePull, FakeWorkflowRun } from "../support/fake-github/fake-state.ts";

const require = createRequire(import.meta.url);

/**
 * A webhook payload being edited field by field from GitHub's examples. Loosely typed on purpose:
 * the examples predate some fields (display_title), and the App validates what it reads.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Payload = Record<string, any>;
type Example = { name: string; actions: string[]; examples: Payload[] };
const EXAMPLES = require("@octokit/webhooks-examples/api.github.com/index.json") as Example[];

export const OWNER = "Codertocat";
export const REPO = "Hello-World";

/** A copy of GitHub's example payload for `event.action` (the `index`th one), with an installation. */
export function examplePayload(event: string, action: string, index = 0): Payload {
  const group = EXAMPLES.find((e) => e.name === event);
  const found = group?.examples.filter((x) => x.action === action)[index];
  if (!found) throw new Error(`no example payload for ${event}.${action}`);
  const copy = structuredClone(found) as Payload;
  copy.installation = { id: 1 };
  return copy;
}

/**
 * An `issue_comment.created` payload for a comment by `login` (default Codertocat) on PR `pr`
 * (default 1) of `repo`; the comment is also added to the fake, under a fresh id.
 */
export function issueCommentPayload(
  fake: FakeGitHub,
  repo: FakeRepo,
  opts: { body: string; login?: string; pr?: number },
): Payload {
  const payload = examplePayload("issue_comment", "created");
  const login = opts.login ?? "Codertocat";
  const pr = opts.pr ?? 1;
  const id = (fake.state.nextId += 500);
  repo.comments.push({
    id,
    issueNumber: pr,
    body: opts.body,
    user: { login, id: 7, type: "User" },
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
  });
  payload.issue.number = pr;
  payload.issue.pull_request = { url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/${pr}` };
  payload.comment.id = id;
  payload.comment.body = opts.body;
  payload.comment.created_at = new Date().toISOString();
  payload.comment.user.login = login;
  return payload;
}

/** A `workflow_run` payload (`completed` unless told) for `run`, a run the fake holds in Codertocat/Hello-World. */
export function workflowRunPayload(
  run: FakeWorkflowRun,
  action: "requested" | "completed" = "completed",
): Payload {
  const payload = examplePayload("workflow_run", action);
  payload.repository = examplePayload("issue_comment", "created").repository;
  payload.repository.default_branch = "main";
  Object.assign(payload.workflow_run, {
    id: run.id,
    display_title: run.displayTitle,
    path: `.github/workflows/${run.workflowFile}`,
    event: run.event,
    head_sha: run.headSha,
    head_branch: run.headBranch,
    status: run.status,
    conclusion: run.conclusion,
    html_url: `https://github.com/${OWNER}/${REPO}/actions/runs/${run.id}`,
  });
  return payload;
}

/**
 * Adds a completed run of the training workflow to `repo`: titled with `correlation` the way the
 * template's run-name renders it, dispatched on PR #1's branch `changes` unless `run` says otherwise.
 */
export function addTrainingRun(
  repo: FakeRepo,
  run: { id: number; correlation: string; headSha: string; conclusion: string } & Partial<FakeWorkflowRun>,
): FakeWorkflowRun {
  const { correlation, ...fields } = run;
  const added: FakeWorkflowRun = {
    workflowFile: "modelship-train.yml",
    name: "modelship train",
    displayTitle: `modelship train ${correlation}`,
    event: "workflow_dispatch",
    status: "completed",
    headBranch: "changes",
    runAttempt: 1,
    createdAt: "2026-01-01T00:00:00Z",
    ...fields,
  };
  repo.workflowRuns.push(added);
  return added;
}

/** A `pull_request` payload for `pull`, a pull request the fake holds: its number, head commit, merged or not. */
export function pullRequestPayload(action: string, pull: FakePull): Payload {
  const payload = examplePayload("pull_request", action);
  payload.number = pull.number;
  payload.pull_request.number = pull.number;
  payload.pull_request.head.sha = pull.head.sha;
  payload.pull_request.merged = pull.merged;
  return payload;
}
