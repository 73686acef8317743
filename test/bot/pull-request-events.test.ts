import { afterEach, describe, expect, it } from "vitest";
import { reportMarker } from "../../core/report/render-markdown.ts";
import { addPull } from "../support/fake-github/fake-github.ts";
import {
  addTrainingRun,
  BASIC_CONFIG,
  botComments,
  commentPayload,
  examplePayload,
  pullRequestPayload,
  reactionsOn,
  startHarness,
  workflowRunCompleted,
  type Harness,
} from "./bot-harness.ts";
import { trainOnPr } from "./train-on-pr.ts";

let h: Harness;
afterEach(() => h.checkAndClose());

const pullEvent = (action: "synchronize" | "opened", pr: number) =>
  pullRequestPayload(action, h.repo.pulls[pr]!);

describe("pushes to a pull request", () => {
  it.each([
    {
      title: "code and data changes dispatch training once per head commit",
      files: ["data/iris.csv", "README.md"],
      config: BASIC_CONFIG,
      dispatches: 1,
    },
    {
      title: "documentation-only changes do not",
      files: ["README.md", "docs/a.md"],
      config: BASIC_CONFIG,
      dispatches: 0,
    },
    {
      title: "configured paths decide",
      files: ["train.py"],
      config: `${BASIC_CONFIG}github:\n  paths: ["models/**"]\n`,
      dispatches: 0,
    },
    {
      title: "trainOnPush: false turns it off",
      files: ["train.py"],
      config: `${BASIC_CONFIG}github:\n  trainOnPush: false\n`,
      dispatches: 0,
    },
  ])("$title", async ({ files, config, dispatches }) => {
    h = await startHarness({ config });
    addPull(h.fake.state, h.repo, { number: 5, headRef: "push-5", files });
    await h.receive("pull_request", pullEvent("synchronize", 5), "push-delivery-1");
    await h.receive("pull_request", pullEvent("synchronize", 5), "push-delivery-2");
    expect(h.repo.dispatches).toHaveLength(dispatches);
    if (dispatches > 0)
      expect(h.repo.dispatches[0]!.inputs).toMatchObject({ trigger: "push", params: "{}", pr_number: "5" });
  });

  it("a fork PR gets a neutral check that explains why it was not trained", async () => {
    h = await startHarness();
    addPull(h.fake.state, h.repo, { number: 6, fork: true, files: ["train.py"] });
    await h.receive("pull_request", pullEvent("opened", 6));
    expect(h.repo.dispatches).toEqual([]);
    expect(h.repo.checkRuns).toEqual([
      expect.objectContaining({ status: "completed", conclusion: "neutral" }),
    ]);
    expect(h.repo.checkRuns[0]!.output.summary).toContain("forks");
  });

  it("a broken config fails the check with an annotation at its line and column", async () => {
    h = await startHarness({ config: "model:\n  name: Iris!\n" });
    addPull(h.fake.state, h.repo, { number: 7, files: ["train.py"] });
    await h.receive("pull_request", pullEvent("opened", 7));
    expect(h.repo.dispatches).toEqual([]);
    const check = h.repo.checkRuns[0]!;
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check.output.summary).toContain(".github/modelship.yml:2:9: model.name");
    expect(check.annotations).toEqual([
      expect.objectContaining({ path: ".github/modelship.yml", start_line: 2, annotation_level: "failure" }),
    ]);
  });
});

describe("check runs and workflow runs", () => {
  it("re-running the check dispatches again for the same head; a failed run updates the comment and the check", async () => {
    h = await startHarness();
    const payload = commentPayload(h, { body: "/train epochs=20" });
    await h.receive("issue_comment", payload);
    const first = h.repo.checkRuns[0]!;

    const rerun = examplePayload("check_run", "rerequested");
    rerun.repository = payload.repository;
    Object.assign(rerun.check_run, {
      id: first.id,
      name: "modelship/train",
      head_sha: first.headSha,
      external_id: first.externalId,
      output: { ...rerun.check_run.output, text: first.output.text },
    });
    await h.receive("check_run", rerun, "rerun-1");
    await h.receive("check_run", rerun, "rerun-1");
    expect(h.repo.dispatches.map((d) => [d.inputs.trigger, d.inputs.params])).toEqual([
      ["comment", '{"epochs":20}'],
      ["rerequest", '{"epochs":20}'],
    ]);
    const second = h.repo.checkRuns[1]!;
    expect(second.externalId).not.toBe(first.externalId);

    const run = addTrainingRun(h.repo, {
      id: 999,
      correlation: second.externalId!,
      headSha: second.headSha,
      conclusion: "cancelled",
    });
    await h.receive("workflow_run", workflowRunCompleted(run));
    expect(h.repo.checkRuns[1]).toMatchObject({ status: "completed", conclusion: "cancelled" });
    const [sticky] = botComments(h, 1);
    expect(sticky).toContain(reportMarker("iris"));
    expect(sticky).toContain("The training run was cancelled. (`run-cancelled`");
    expect(sticky).toContain("[workflow run](https://github.com/Codertocat/Hello-World/actions/runs/999)");
  });

  it("a completed run that misses a gate: the sticky report, a failed check, an annotation on the gate's line", async () => {
    h = await startHarness({
      config: "model:\n  name: iris\nmetrics:\n  gates:\n    accuracy:\n      min: 0.99\n",
    });
    // Delivered twice (a redelivery): reported once.
    await trainOnPr(h, {
      runDir: "test/fixtures/runs/iris-candidate",
      deliveries: ["run-done", "run-done-again"],
    });
    expect(h.repo.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(h.repo.checkRuns[0]!.output.title).toBe("1 gate failed");
    expect(h.repo.checkRuns[0]!.annotations).toEqual([
      expect.objectContaining({
        path: ".github/modelship.yml",
        start_line: 5,
        annotation_level: "failure",
        title: "Gate failed: accuracy",
      }),
    ]);
    const reports = botComments(h, 1).filter((b) => b.includes(reportMarker("iris")));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain("below-min");
  });

  it("runs of other workflows are ignored", async () => {
    h = await startHarness();
    const run = examplePayload("workflow_run", "completed");
    await h.receive("workflow_run", run);
    expect(h.fake.calls).toEqual([]);
  });
});

describe("deploy commands", () => {
  it("/deploy before the PR released anything is refused with a reason; /promote of an unknown version too", async () => {
    h = await startHarness();
    const deploy = commentPayload(h, { body: "/deploy staging", login: "boss" });
    await h.receive("issue_comment", deploy);
    expect(reactionsOn(h, deploy.comment.id)).toEqual(["eyes", "-1"]);
    expect(botComments(h, 1).at(-1)).toContain("`not-released`");
    const promote = commentPayload(h, { body: "/promote 9.9.9 staging", login: "boss" });
    await h.receive("issue_comment", promote);
    expect(botComments(h, 1).at(-1)).toContain("`version-not-found`");
    expect(h.repo.deployments).toEqual([]);
  });
});
