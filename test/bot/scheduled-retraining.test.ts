import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getOctokit } from "@actions/github";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openGitHubReleasesRegistry } from "../../adapters/github/releases-registry.ts";
import { reportMarker } from "../../core/report/render-markdown.ts";
import { addCommit, type FakeIssue, type FakeWorkflowRun } from "../support/fake-github/fake-state.ts";
import {
  addTrainingRun,
  BASIC_CONFIG,
  OWNER,
  pullRequestPayload,
  REPO,
  startHarness,
  type Harness,
  type Payload,
  workflowRunCompleted,
} from "./bot-harness.ts";
import { candidateRunDir } from "./candidate-run-dir.ts";
import { classifierModel } from "../fixtures/onnx/make-models.ts";

// Cron, drift and manual runs of the training template reach the App through `workflow_run`: the
// run's title is what the template's run-name renders for a cron run (see workflows.test.ts), the
// webhook is GitHub's example payload, signed, and GitHub is the fake checked against its API.

const BRANCH = "modelship/retrain/iris/sched";
let work: string;
let h: Harness;
let mainSha: string;
let deliveries = 0;

const runDir = (name: string, accuracy: number, model?: Uint8Array) =>
  candidateRunDir(work, name, accuracy, model);

/** A run of the training workflow as GitHub records it, with the artifact its upload step made. */
async function cronRun(opts: {
  conclusion: "success" | "failure";
  accuracy?: number;
  event?: string;
  kind?: string;
  branch?: string;
  model?: Uint8Array;
}): Promise<FakeWorkflowRun> {
  const id = (h.fake.state.nextId += 1);
  const correlation = `${opts.kind ?? "sched"}-${mainSha}-${id}`;
  const run = addTrainingRun(h.repo, {
    id,
    correlation,
    event: opts.event ?? "schedule",
    conclusion: opts.conclusion,
    headSha: mainSha,
    headBranch: opts.branch ?? "main",
    createdAt: "2026-03-02T03:17:00Z",
  });
  if (opts.conclusion === "success")
    h.repo.artifacts.push({
      id: (h.fake.state.nextId += 1),
      runId: id,
      name: `modelship-run-${correlation}`,
      dir: await runDir(`run-${id}`, opts.accuracy ?? 0.99, opts.model),
    });
  return run;
}

/** Delivers a webhook the way GitHub does, signed, under the next delivery id. */
const deliver = (name: string, payload: Payload) =>
  h.deliverSigned(name, payload, `delivery-${++deliveries}`);

async function artifactDigest(runId: number): Promise<{ id: number; digest: string }> {
  const a = h.repo.artifacts.find((x) => x.runId === runId)!;
  const res = await fetch(`${h.fake.url}/repos/${OWNER}/${REPO}/actions/artifacts/${a.id}`);
  return { id: a.id, digest: ((await res.json()) as { digest: string }).digest };
}

const candidatePulls = () => Object.values(h.repo.pulls).filter((p) => p.head.ref === BRANCH);
const failureIssues = (): FakeIssue[] =>
  h.repo.issues.filter((i) => i.body?.includes("modelship:retrain-failure"));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modelship-retrain-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  h = await startHarness();
  mainSha = h.repo.refs["refs/heads/main"]!;
  // Production: v1.0.0 of iris, registered the way the Action registers it.
  const registry = await openGitHubReleasesRegistry(getOctokit("token", { baseUrl: h.fake.url }), {
    owner: OWNER,
    repo: REPO,
    tagFormat: "model/{name}/v{version}",
  });
  await registry.register({
    runDir: await runDir(`base-${deliveries}`, 0.9),
    name: "iris",
    bump: "minor",
    now: new Date("2026-03-01T00:00:00Z"),
  });
});
afterEach(() => h.checkAndClose());

describe("a cron run of the training workflow, through the App", () => {
  it("beats production: ONE candidate pull request pinned to its artifact, updated by the next run, released on merge", async () => {
    const first = await cronRun({ conclusion: "success", accuracy: 0.97 });
    await deliver("workflow_run", workflowRunCompleted(first));

    const branches = () =>
      h.fake
        .callsTo("git/create-ref")
        .map((c) => (c.body as { ref: string }).ref)
        .filter((ref) => ref.startsWith("refs/heads/"));
    expect(branches()).toEqual([`refs/heads/${BRANCH}`]);
    expect(candidatePulls()).toHaveLength(1);
    const pull = candidatePulls()[0]!;
    const pinned = await artifactDigest(first.id);
    expect(pull.title).toBe("Release iris: scheduled training beats v1.0.0");
    expect(pull.body).toContain(
      `[run ${first.id}](https://github.com/${OWNER}/${REPO}/actions/runs/${first.id})`,
    );
    expect(pull.body).toContain(`(id ${pinned.id})`);
    expect(pull.body).toContain(pinned.digest);
    const reports = () =>
      h.repo.comments.filter((c) => c.issueNumber === pull.number && c.body.includes(reportMarker("iris")));
    expect(reports()).toHaveLength(1);
    expect(reports()[0]!.body).toContain("v1.0.0");
    expect(h.repo.checkRuns.find((c) => c.externalId === `sched-${mainSha}-${first.id}`)).toMatchObject({
      headSha: mainSha,
      status: "completed",
      conclusion: "success",
    });

    // A redelivery (another delivery id) writes nothing.
    const before = h.fake.calls.filter((c) => c.method !== "GET").length;
    await deliver("workflow_run", workflowRunCompleted(first));
    expect(h.fake.calls.filter((c) => c.method !== "GET").length).toBe(before);

    // Next week's run beats production too: the same branch and pull request now pin that run.
    const second = await cronRun({ conclusion: "success", accuracy: 0.99 });
    await deliver("workflow_run", workflowRunCompleted(second));
    expect(h.fake.callsTo("pulls/create")).toHaveLength(1);
    expect(h.fake.callsTo("pulls/update")).toHaveLength(1);
    expect(h.fake.callsTo("git/update-ref").map((c) => (c.body as { force: boolean }).force)).toEqual([true]);
    expect(candidatePulls()).toHaveLength(1);
    const repinned = await artifactDigest(second.id);
    expect(pull.body).toContain(`(id ${repinned.id})`);
    expect(pull.body).not.toContain(`(id ${pinned.id})`);
    expect(reports()).toHaveLength(1);
    expect(pull.head.sha).toBe(h.repo.refs[`refs/heads/${BRANCH}`]);
    const record = JSON.parse(
      h.repo.trees[h.repo.commits[pull.head.sha]!.tree]!.find(
        (e) => e.path === ".modelship/candidates/iris-sched.json",
      )!.content,
    ) as { workflowRunId: number; artifact: { id: number; digest: string } };
    expect(record).toMatchObject({ workflowRunId: second.id, artifact: repinned });

    // Merged after review: the release is exactly the pinned run's artifact.
    await merge(pull.number);
    expect(h.repo.releases.map((r) => r.tagName)).toEqual(["model/iris/v1.0.0", "model/iris/v1.1.0"]);
    expect(h.repo.releases[1]!.body).toContain(`actions/runs/${second.id}`);
    expect(h.repo.deployments.map((d) => d.payload)).toMatchObject([{ version: "1.1.0", pr: pull.number }]);
  });

  it("deploys through the workflow `github.deployWorkflow` names, and not at all while it is missing", async () => {
    h.repo.files.main![".github/modelship.yml"] = `${BASIC_CONFIG}github:\n  deployWorkflow: ship-it.yml\n`;
    const run = await cronRun({ conclusion: "success", accuracy: 0.97 });
    await deliver("workflow_run", workflowRunCompleted(run));
    const pull = candidatePulls()[0]!;
    await merge(pull.number);
    expect(h.repo.releases.map((r) => r.tagName)).toEqual(["model/iris/v1.0.0", "model/iris/v1.1.0"]);
    expect(h.repo.deployments).toEqual([]);
    expect(h.repo.comments.at(-1)!.body).toContain(
      "Not deployed to `production`: `.github/workflows/ship-it.yml` is not on the default branch",
    );
    h.repo.files.main![".github/workflows/ship-it.yml"] = "on: deployment\n";
    await merge(pull.number);
    expect(h.repo.releases).toHaveLength(2);
    expect(h.repo.deployments.map((d) => d.payload)).toMatchObject([{ version: "1.1.0" }]);
  });

  it("is not released when the pinned artifact changed after the pull request was opened", async () => {
    const run = await cronRun({ conclusion: "success", accuracy: 0.97 });
    await deliver("workflow_run", workflowRunCompleted(run));
    const pull = candidatePulls()[0]!;
    h.repo.artifacts.find((a) => a.runId === run.id)!.digest = `sha256:${"0".repeat(64)}`;
    await merge(pull.number);
    expect(h.repo.releases).toHaveLength(1);
    expect(h.repo.comments.at(-1)!.body).toContain("`artifact-invalid`");
  });

  it("is not released when the pinned run's model does not load: the App's load check, as register's", async () => {
    const whole = classifierModel();
    const run = await cronRun({
      conclusion: "success",
      accuracy: 0.97,
      model: whole.subarray(0, Math.floor(whole.length / 2)),
    });
    await deliver("workflow_run", workflowRunCompleted(run));
    const pull = candidatePulls()[0]!;
    await merge(pull.number);
    expect(h.repo.releases.map((r) => r.tagName)).toEqual(["model/iris/v1.0.0"]);
    expect(h.repo.deployments).toEqual([]);
    const said = h.repo.comments.at(-1)!.body;
    expect(said).toContain("Modelship did not release a model: its model/model.onnx cannot be loaded");
    expect(said).toContain("(`model-load-failed`)");
  });

  it("fails: no pull request, ONE issue that names the run, updated by the next failure, closed by the next success", async () => {
    const failed = await cronRun({ conclusion: "failure" });
    await deliver("workflow_run", workflowRunCompleted(failed));
    expect(h.fake.callsTo("pulls/create")).toEqual([]);
    expect(failureIssues()).toHaveLength(1);
    const issue = failureIssues()[0]!;
    expect(issue.title).toBe("Modelship: scheduled training of iris failed");
    expect(issue.body).toContain(
      `[workflow run ${failed.id}](https://github.com/${OWNER}/${REPO}/actions/runs/${failed.id})`,
    );
    expect(h.repo.checkRuns.find((c) => c.externalId === `sched-${mainSha}-${failed.id}`)).toMatchObject({
      conclusion: "failure",
    });

    await deliver("workflow_run", workflowRunCompleted(failed));
    expect(h.fake.callsTo("issues/create")).toHaveLength(1);
    expect(h.fake.callsTo("issues/update")).toEqual([]);

    const again = await cronRun({ conclusion: "failure" });
    await deliver("workflow_run", workflowRunCompleted(again));
    expect(failureIssues()).toHaveLength(1);
    expect(issue.body).toContain(`workflow run ${again.id}`);
    expect(issue.state).toBe("open");

    const fixed = await cronRun({ conclusion: "success", accuracy: 0.97 });
    await deliver("workflow_run", workflowRunCompleted(fixed));
    expect(issue.state).toBe("closed");
    expect(candidatePulls()).toHaveLength(1);
  });

  it.each([
    {
      what: "a manual run of another branch",
      event: "workflow_dispatch",
      kind: "manual",
      branch: "experiment",
    },
    {
      what: "a run that does not beat production",
      event: "schedule",
      kind: "sched",
      branch: "main",
      accuracy: 0.85,
    },
  ])("$what proposes nothing; its check says how it did", async ({ event, kind, branch, accuracy }) => {
    const run = await cronRun({
      conclusion: "success",
      event,
      kind,
      branch,
      ...(accuracy ? { accuracy } : {}),
    });
    await deliver("workflow_run", workflowRunCompleted(run));
    expect(candidatePulls()).toEqual([]);
    expect(failureIssues()).toEqual([]);
    expect(h.repo.checkRuns.find((c) => c.externalId === `${kind}-${mainSha}-${run.id}`)?.status).toBe(
      "completed",
    );
  });
});

/** Merges a pull request after an approving review, and delivers `pull_request.closed`. */
async function merge(number: number): Promise<void> {
  const pull = h.repo.pulls[number]!;
  h.repo.reviews[number] = [
    {
      id: 77,
      user: { login: "boss", id: 9, type: "User" },
      state: "APPROVED",
      commitId: pull.head.sha,
      submittedAt: "2026-03-03T00:00:00Z",
    },
  ];
  pull.merged = true;
  pull.state = "closed";
  pull.mergeCommitSha = addCommit(h.repo, {
    message: `Merge #${number}`,
    parents: [pull.head.sha],
    branch: "main",
  });
  await deliver("pull_request", pullRequestPayload("closed", pull));
}
