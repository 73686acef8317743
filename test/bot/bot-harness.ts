import { generateKeyPairSync, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { Probot } from "probot";
import { expect } from "vitest";
import { createModelshipApp, type ModelshipAppOptions } from "../../bot/app.ts";
import { unthrottledOctokit } from "../../bot/start.ts";
import {
  addPull,
  startFakeGitHub,
  type FakeGitHub,
  type FakeRepo,
} from "../support/fake-github/fake-github.ts";
import type { FakeWorkflowRun } from "../support/fake-github/fake-state.ts";
import { issueCommentPayload, OWNER, REPO, workflowRunPayload, type Payload } from "./payloads.ts";

export { addTrainingRun, examplePayload, OWNER, REPO, pullRequestPayload, type Payload } from "./payloads.ts";

const SECRET = "test-secret";

let appKey: string | undefined;

/** An RSA key like the one GitHub issues for an App (PKCS#1 PEM), generated once per test file. */
export function generateAppKey(): string {
  return (appKey ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey);
}

export const BASIC_CONFIG = `
model:
  name: iris
train:
  search:
    learningRate: { min: 0.0001, max: 1 }
    epochs: { min: 1, max: 200, integer: true }
metrics:
  primary: accuracy
  gates:
    accuracy: { direction: maximize, maxRegression: 0.01 }
deploy:
  environment: production
  environments:
    production: { requireApprovedReview: true, requireGreenChecks: true }
    staging: { requireApprovedReview: false, requireGreenChecks: false }
`;

/** The deploy workflow `modelship init` writes; the App creates deployments only when it exists. */
export const DEPLOY_WORKFLOW = {
  ".github/workflows/modelship-deploy.yml": "name: modelship deploy\non: deployment\n",
};

export type Harness = {
  fake: FakeGitHub;
  repo: FakeRepo;
  probot: Probot;
  receive(name: string, payload: Payload, id?: string): Promise<void>;
  /** Delivers a webhook the way GitHub does: the raw body, signed with the App's secret. */
  deliverSigned(name: string, payload: Payload, id?: string): Promise<void>;
  /** A new App process against the same fake GitHub (what a restart or another replica sees). */
  restart(app?: ModelshipAppOptions): Promise<void>;
  close(): Promise<void>;
  /** After a test: asserts the App sent no request GitHub's OpenAPI description rejects, then closes. */
  checkAndClose(): Promise<void>;
};

/** Repository Codertocat/Hello-World with a config on main, a writer, a reader, and open PR #1. */
export function seedRepo(fake: FakeGitHub, config = BASIC_CONFIG): FakeRepo {
  const repo = fake.repo(OWNER, REPO);
  repo.files.main = { ".github/modelship.yml": config, ...DEPLOY_WORKFLOW };
  repo.permissions = { Codertocat: "write", reader: "read", boss: "maintain" };
  addPull(fake.state, repo, { number: 1, headRef: "changes" });
  return repo;
}

/** The App in this process (Probot's `receive`), talking to a fresh fake GitHub. */
export async function startHarness(
  opts: { config?: string; app?: ModelshipAppOptions } = {},
): Promise<Harness> {
  const fake = await startFakeGitHub();
  const repo = seedRepo(fake, opts.config);
  const load = async (app: ModelshipAppOptions | undefined): Promise<Probot> => {
    const probot = new Probot({
      appId: 1,
      privateKey: generateAppKey(),
      secret: SECRET,
      baseUrl: fake.url,
      logLevel: "fatal",
      Octokit: unthrottledOctokit(),
    });
    await probot.load(createModelshipApp(app));
    return probot;
  };
  const h: Harness = {
    fake,
    repo,
    probot: await load(opts.app),
    receive: (name, payload, id = randomUUID()) =>
      h.probot.receive({ id, name, payload } as Parameters<Probot["receive"]>[0]),
    deliverSigned: async (name, payload, id = randomUUID()) => {
      const body = JSON.stringify(payload);
      await h.probot.webhooks.verifyAndReceive({
        id,
        name: name as "workflow_run",
        payload: body,
        signature: await sign(SECRET, body),
      });
    },
    restart: async (app) => {
      h.probot = await load(app);
    },
    close: () => fake.close(),
    checkAndClose: async () => {
      expect(fake.invalid).toEqual([]);
      await fake.close();
    },
  };
  return h;
}

/** An `issue_comment.created` payload for a comment on PR `pr` (the comment also exists in the fake). */
export function commentPayload(h: Harness, opts: { body: string; login?: string; pr?: number }): Payload {
  return issueCommentPayload(h.fake, h.repo, opts);
}

/** A `workflow_run.completed` payload for `run`, a run the fake GitHub holds, in the harness's repository. */
export function workflowRunCompleted(run: FakeWorkflowRun): Payload {
  return workflowRunPayload(run, "completed");
}

/** Reactions the App left on a comment, in order. */
export function reactionsOn(h: Harness, commentId: number): string[] {
  return h.repo.reactions.filter((r) => r.commentId === commentId).map((r) => r.content);
}

/** Comments the App wrote on an issue or PR. */
export function botComments(h: Harness, issue: number): string[] {
  return h.repo.comments.filter((c) => c.issueNumber === issue && c.user.type === "Bot").map((c) => c.body);
}
