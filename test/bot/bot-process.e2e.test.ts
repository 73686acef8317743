import { spawn, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportMarker } from "../../core/report/render-markdown.ts";
import {
  addCommit,
  addPull,
  startFakeGitHub,
  type FakeGitHub,
  type FakeRepo,
} from "../support/fake-github/fake-github.ts";
import { BASIC_CONFIG, DEPLOY_WORKFLOW, generateAppKey } from "./bot-harness.ts";
import {
  addTrainingRun,
  examplePayload,
  issueCommentPayload,
  OWNER,
  pullRequestPayload,
  REPO,
  workflowRunPayload,
  type Payload,
} from "./payloads.ts";
import { freePort } from "../support/free-port.ts";
import { classifierModel } from "../fixtures/onnx/make-models.ts";

const SECRET = "e2e-webhook-secret-0123456789abcdef";
const EVIL_METRIC = "<img src=x onerror=alert(1)>@octo-org/admins --> [x](javascript:alert(1))";

let fake: FakeGitHub;
let repo: FakeRepo;
let bot: ChildProcess;
let botUrl: string;
let work: string;
let logs = "";
let deliveries = 0;

/** A run directory as the training workflow uploads it: the iris candidate plus a model file. */
async function runDir(name: string, extraMetrics: Record<string, number>): Promise<string> {
  const dir = join(work, name);
  await cp("test/fixtures/runs/iris-candidate", dir, { recursive: true });
  await mkdir(join(dir, "model"), { recursive: true });
  // A real model: the App loads it once before it registers a version.
  await writeFile(join(dir, "model", "model.onnx"), classifierModel());
  const metrics = JSON.parse(await readFile(join(dir, "metrics.json"), "utf8")) as Record<string, number>;
  await writeFile(join(dir, "metrics.json"), JSON.stringify({ ...metrics, ...extraMetrics }));
  const record = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as { runId: string };
  record.runId = `run-${name}`;
  await writeFile(join(dir, "run.json"), JSON.stringify(record));
  return dir;
}

/** POSTs a webhook to the App process the way GitHub does: raw JSON body signed with the secret. */
async function deliver(
  event: string,
  payload: unknown,
  opts: { id?: string; signature?: string } = {},
): Promise<number> {
  const body = JSON.stringify(payload);
  const res = await fetch(`${botUrl}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": opts.id ?? `delivery-${++deliveries}`,
      "x-hub-signature-256": opts.signature ?? (await sign(SECRET, body)),
    },
    body,
  });
  await res.text();
  return res.status;
}

function comment(pr: number, body: string, login: string): Payload {
  return issueCommentPayload(fake, repo, { pr, body, login });
}

function workflowRun(action: "requested" | "completed", runId: number): Payload {
  return workflowRunPayload(
    repo.workflowRuns.find((r) => r.id === runId)!,
    action,
  );
}

function merged(pr: number): Payload {
  const pull = repo.pulls[pr]!;
  pull.merged = true;
  pull.state = "closed";
  pull.mergeCommitSha = addCommit(repo, {
    message: `Merge #${pr}`,
    parents: [pull.head.sha],
    branch: "main",
  });
  return pullRequestPayload("closed", pull);
}

/** Waits for the App to finish: GitHub's webhook timeout makes Probot answer 202 for long handlers. */
async function until(done: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function reactions(commentId: number): string[] {
  return repo.reactions.filter((r) => r.commentId === commentId).map((r) => r.content);
}

function completeRun(runId: number, conclusion: string): void {
  const run = repo.workflowRuns.find((r) => r.id === runId)!;
  run.status = "completed";
  run.conclusion = conclusion;
}

const runDirs: Record<string, string> = {};
let nextRunDir = "pr1";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modelship-bot-e2e-"));
  runDirs.pr1 = await runDir("pr1", { [EVIL_METRIC]: 1 });
  runDirs.pr2 = await runDir("pr2", { [EVIL_METRIC]: 1, accuracy: 0.98 });
  runDirs.sched = await runDir("sched", { [EVIL_METRIC]: 1, accuracy: 0.99 });
  fake = await startFakeGitHub();
  repo = fake.repo(OWNER, REPO);
  repo.files.main = { ".github/modelship.yml": BASIC_CONFIG, ...DEPLOY_WORKFLOW };
  repo.permissions = { Codertocat: "write", reader: "read", boss: "maintain", ops: "maintain" };
  for (const n of [1, 2]) {
    const pull = addPull(fake.state, repo, { number: n, headRef: `change-${n}` });
    repo.reviews[n] = [
      {
        id: 50 + n,
        user: { login: "boss", id: 9, type: "User" },
        state: "APPROVED",
        commitId: pull.head.sha,
        submittedAt: "2026-01-01T00:00:00Z",
      },
    ];
  }
  addPull(fake.state, repo, { number: 3, fork: true });
  addPull(fake.state, repo, { number: 4, headRef: "change-4" });
  // What GitHub Actions would do on a dispatch: queue a run titled with the correlation id,
  // whose artifact is the run directory the training job uploads.
  fake.state.hooks.onWorkflowDispatch = (r, d) => {
    const id = (fake.state.nextId += 1);
    const correlation = String(d.inputs.correlation_id);
    r.workflowRuns.push({
      id,
      workflowFile: d.workflowId,
      name: "Modelship train",
      displayTitle: `modelship train ${correlation}`,
      event: "workflow_dispatch",
      status: "queued",
      conclusion: null,
      headSha: String(d.inputs.head_sha),
      headBranch: d.ref,
      runAttempt: 1,
      createdAt: "2026-01-01T00:00:00Z",
    });
    r.artifacts.push({
      id: (fake.state.nextId += 1),
      runId: id,
      name: `modelship-run-${correlation}`,
      dir: runDirs[nextRunDir]!,
    });
  };

  const port = await freePort();
  botUrl = `http://127.0.0.1:${port}`;
  bot = spawn(process.execPath, ["bin/modelship.js", "bot"], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "test",
      APP_ID: "1",
      PRIVATE_KEY: generateAppKey(),
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: fake.gheHost,
      GHE_PROTOCOL: "http",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  bot.stdout!.on("data", (d: Buffer) => (logs += d.toString()));
  bot.stderr!.on("data", (d: Buffer) => (logs += d.toString()));
  for (let i = 0; ; i++) {
    const up = await fetch(`${botUrl}/ping`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 300 || bot.exitCode !== null) throw new Error(`the App did not start:\n${logs}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  bot?.kill("SIGTERM");
  await fake?.close();
  await rm(work, { recursive: true, force: true });
});

describe("modelship bot as a process, against the fake GitHub", () => {
  it("runs the whole pull-request story: comment → dispatch → report → merge → release → deploy → failure → rollback", async () => {
    const pr1 = repo.pulls[1]!;
    // /train: 👀, a queued check on the head SHA, one dispatch on the head ref, 🚀.
    const train = comment(1, "/train epochs=20", "Codertocat");
    expect(await deliver("issue_comment", train, { id: "story-train-1" })).toBe(200);
    expect(reactions(train.comment.id)).toEqual(["eyes", "rocket"]);
    expect(repo.dispatches).toHaveLength(1);
    expect(repo.dispatches[0]).toMatchObject({ workflowId: "modelship-train.yml", ref: "change-1" });
    expect(repo.dispatches[0]!.inputs).toMatchObject({
      pr_number: "1",
      head_sha: pr1.head.sha,
      params: '{"epochs":20}',
      trigger: "comment",
    });
    const run1 = repo.workflowRuns[0]!;

    // The run starts: the check goes in progress.
    run1.status = "in_progress";
    expect(await deliver("workflow_run", workflowRun("requested", run1.id))).toBe(200);
    expect(repo.checkRuns[0]).toMatchObject({
      name: "modelship/train",
      headSha: pr1.head.sha,
      status: "in_progress",
    });

    // The run completes: one sticky report on the PR, the check completes with the verdict.
    // The App draws nothing here (the report job uploads the plots), so it answers well within
    // GitHub's 10 s; on a loaded machine a 202 (still working) is fine: wait for the result.
    completeRun(run1.id, "success");
    expect([200, 202]).toContain(await deliver("workflow_run", workflowRun("completed", run1.id)));
    await until(() => repo.checkRuns[0]?.status === "completed", "the first report");
    const reports = repo.comments.filter((c) => c.issueNumber === 1 && c.body.includes(reportMarker("iris")));
    expect(reports).toHaveLength(1);
    expect(repo.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "success" });
    expect(repo.checkRuns[0]!.output.summary).toContain("accuracy");
    // Untrusted metric names are escaped: no HTML, no mention, the marker stays closed once.
    const report = reports[0]!.body;
    expect(report).not.toContain("<img");
    expect(report).not.toMatch(/@octo-org/);
    // Only the marker closes an HTML comment (Mermaid's axis ranges use `-->` inside code blocks).
    expect(report.split("\n").filter((l) => l.includes("-->") && !l.trim().startsWith("y-axis"))).toEqual([
      reportMarker("iris"),
    ]);
    expect(report).not.toMatch(/(?<!\\)\]\(javascript:/);
    expect(report).toContain(
      "&lt;img src=x onerror=alert(1)&gt;@&#8203;octo-org/admins --&gt; \\[x\\](javascript:alert(1))",
    );

    // Merge: release v1.0.0 with the model card and a sha256 manifest, then a deployment.
    expect([200, 202]).toContain(await deliver("pull_request", merged(1)));
    await until(() => repo.deployments.length === 1, "the first deployment");
    expect(repo.releases.map((r) => r.tagName)).toEqual(["model/iris/v1.0.0"]);
    expect(repo.releases[0]!.assets.map((a) => a.name)).toContain("SHA256SUMS");
    expect(repo.deployments).toHaveLength(1);
    expect(repo.deployments[0]!.payload).toEqual({
      model: "iris",
      version: "1.0.0",
      strategy: "blue-green",
      previousVersion: null,
      environment: "production",
      pr: 1,
    });
    // The deploy workflow reports success (what the Action does on the runner).
    repo.deploymentStatuses.push({
      id: 1,
      deploymentId: repo.deployments[0]!.id,
      state: "success",
      description: "",
      environment: "production",
      environmentUrl: "",
      logUrl: "",
      creator: fake.state.appBot,
      createdAt: "2026-01-01T00:00:00Z",
    });

    // /deploy on the merged PR: its released version goes to staging (no gates configured there).
    await deliver("issue_comment", comment(1, "/deploy staging", "boss"));
    const staging = repo.deployments.filter((d) => d.environment === "staging");
    expect(staging.map((d) => d.payload)).toEqual([
      {
        model: "iris",
        version: "1.0.0",
        strategy: "blue-green",
        previousVersion: null,
        environment: "staging",
        pr: 1,
      },
    ]);
    expect(staging[0]!.sha).toBe(pr1.mergeCommitSha);
    const production = () => repo.deployments.filter((d) => d.environment === "production");

    // A second PR: train, report against v1.0.0, /compare re-renders the same comment, merge → v1.1.0.
    nextRunDir = "pr2";
    const pr2 = repo.pulls[2]!;
    await deliver("issue_comment", comment(2, "/train", "Codertocat"));
    const run2 = repo.workflowRuns[1]!;
    completeRun(run2.id, "success");
    expect([200, 202]).toContain(await deliver("workflow_run", workflowRun("completed", run2.id)));
    const stickies = () =>
      repo.comments.filter((c) => c.issueNumber === 2 && c.body.includes(reportMarker("iris")));
    await until(
      () => repo.checkRuns.find((c) => c.headSha === pr2.head.sha)?.status === "completed",
      "the second report",
    );
    expect(stickies()[0]!.body).toContain("v1.0.0");
    expect(repo.checkRuns.find((c) => c.headSha === pr2.head.sha)).toMatchObject({ conclusion: "success" });
    const compare = comment(2, "/compare 1.0.0", "Codertocat");
    await deliver("issue_comment", compare);
    expect(reactions(compare.comment.id)).toEqual(["eyes", "rocket"]);
    expect(stickies()).toHaveLength(1);
    await deliver("pull_request", merged(2));
    await until(() => production().length === 2, "the second deployment");
    expect(repo.releases.map((r) => r.tagName)).toEqual(["model/iris/v1.0.0", "model/iris/v1.1.0"]);
    const d2 = production()[1]!;
    expect(d2.payload).toMatchObject({ version: "1.1.0", previousVersion: "1.0.0", pr: 2 });

    // The deploy fails: the PR hears why.
    const status = examplePayload("deployment_status", "created");
    status.deployment.id = d2.id;
    status.deployment.payload = d2.payload;
    status.deployment.creator = { ...status.deployment.creator, login: "modelship[bot]", type: "Bot" };
    status.deployment_status.state = "failure";
    status.deployment_status.description = "health gate failed: p95 latency 900ms > 250ms";
    expect(await deliver("deployment_status", status)).toBe(200);
    const failure = repo.comments.find(
      (c) => c.issueNumber === 2 && c.body.includes(`modelship:deployment id=${d2.id}`),
    );
    expect(failure?.body).toContain("health gate failed: p95 latency 900ms &gt; 250ms");

    // Someone else holds the production lock: the rollback waits for /unlock.
    await deliver("issue_comment", comment(2, "/lock production", "ops"));
    const blocked = comment(2, "/rollback", "boss");
    await deliver("issue_comment", blocked);
    expect(reactions(blocked.comment.id)).toEqual(["eyes", "-1"]);
    expect(repo.comments.at(-1)!.body).toContain("is locked by @ops");
    await deliver("issue_comment", comment(2, "/unlock production", "ops"));

    // /rollback by a maintainer: a deployment of the previous version.
    const rollback = comment(2, "/rollback", "boss");
    await deliver("issue_comment", rollback);
    expect(reactions(rollback.comment.id)).toEqual(["eyes", "rocket"]);
    expect(production()).toHaveLength(3);
    expect(production()[2]!.payload).toMatchObject({
      version: "1.0.0",
      previousVersion: "1.1.0",
      environment: "production",
    });

    // A redelivered merge event creates nothing twice (another delivery id: not deduplicated).
    await deliver("pull_request", merged(1));
    expect(repo.releases).toHaveLength(2);
    expect(production()).toHaveLength(3);

    // A cron run on main beats the latest version: a candidate PR pins its artifact, and merging
    // that PR releases and deploys exactly that run's artifact.
    const mainSha = repo.refs["refs/heads/main"]!;
    const schedRunId = (fake.state.nextId += 1);
    const scheduled = `sched-${mainSha}-${schedRunId}`;
    addTrainingRun(repo, {
      id: schedRunId,
      correlation: scheduled,
      event: "schedule",
      conclusion: "success",
      headSha: mainSha,
      headBranch: "main",
    });
    repo.artifacts.push({
      id: (fake.state.nextId += 1),
      runId: schedRunId,
      name: `modelship-run-${scheduled}`,
      dir: runDirs.sched!,
    });
    expect([200, 202]).toContain(await deliver("workflow_run", workflowRun("completed", schedRunId)));
    const sched = () => Object.values(repo.pulls).find((p) => p.head.ref === "modelship/retrain/iris/sched");
    // The report comment on the candidate pull request is the handler's last write.
    await until(
      () =>
        repo.comments.some((c) => c.issueNumber === sched()?.number && c.body.includes(reportMarker("iris"))),
      "the candidate pull request's report",
    );
    const opened = fake.callsTo("pulls/create");
    expect(opened.map((c) => c.body)).toEqual([
      expect.objectContaining({
        head: "modelship/retrain/iris/sched",
        base: "main",
        title: "Release iris: scheduled training beats v1.1.0",
      }),
    ]);
    const candidatePull = sched()!;
    const n = candidatePull.number;
    repo.reviews[n] = [
      {
        id: 59,
        user: { login: "boss", id: 9, type: "User" },
        state: "APPROVED",
        commitId: candidatePull.head.sha,
        submittedAt: "2026-01-01T00:00:00Z",
      },
    ];
    await deliver("pull_request", merged(n));
    await until(() => production().length === 4, "the candidate's deployment");
    expect(repo.releases.map((r) => r.tagName).at(-1)).toBe("model/iris/v1.2.0");
    expect(production()[3]!.payload).toMatchObject({ version: "1.2.0", pr: n });
    expect(fake.invalid).toEqual([]);
  });

  it("refuses a forged signature before touching GitHub", async () => {
    const before = fake.calls.length;
    const status = await deliver("issue_comment", comment(1, "/train", "Codertocat"), {
      signature: `sha256=${"0".repeat(64)}`,
    });
    expect(status).toBe(400);
    const unsigned = await deliver("issue_comment", comment(1, "/train", "Codertocat"), {
      signature: "sha256=",
    });
    expect(unsigned).toBe(400);
    expect(fake.calls.length).toBe(before);
  });

  it("a read-only commenter gets 👎 and a reason, and nothing is dispatched", async () => {
    const before = repo.dispatches.length;
    const payload = comment(1, "/train", "reader");
    expect(await deliver("issue_comment", payload)).toBe(200);
    expect(reactions(payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(repo.dispatches.length).toBe(before);
    expect(repo.comments.at(-1)!.body).toContain("needs **write** permission");
  });

  it("a fork PR is not trained, with an explanation", async () => {
    const before = repo.dispatches.length;
    const payload = comment(3, "/train", "Codertocat");
    await deliver("issue_comment", payload);
    expect(reactions(payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(repo.dispatches.length).toBe(before);
    expect(repo.comments.at(-1)!.body).toContain("fork-not-allowed");
  });

  it("a quoted command does nothing at all", async () => {
    const before = fake.calls.length;
    expect(await deliver("issue_comment", comment(1, "> /deploy production\nplease do not", "boss"))).toBe(
      200,
    );
    expect(fake.calls.length).toBe(before);
  });

  it("a redelivered webhook (same delivery id) is handled once", async () => {
    const before = repo.dispatches.length;
    const payload = comment(4, "/train epochs=30", "Codertocat");
    await deliver("issue_comment", payload, { id: "redelivered-1" });
    await deliver("issue_comment", payload, { id: "redelivered-1" });
    expect(repo.dispatches.length).toBe(before + 1);
    expect(reactions(payload.comment.id)).toEqual(["eyes", "rocket"]);
    expect(fake.invalid).toEqual([]);
  });
});
