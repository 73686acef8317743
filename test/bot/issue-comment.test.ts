import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addPull } from "../support/fake-github/fake-github.ts";
import { botComments, commentPayload, reactionsOn, startHarness, type Harness } from "./bot-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.checkAndClose());

describe("slash commands on pull-request comments", () => {
  it("/train by a writer: 👀, a queued check run on the head SHA, one dispatch per the contract, 🚀", async () => {
    const payload = commentPayload(h, { body: "/train learningRate=0.05 epochs=20" });
    await h.receive("issue_comment", payload);
    const pull = h.repo.pulls[1]!;
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "rocket"]);
    expect(h.repo.dispatches).toHaveLength(1);
    const d = h.repo.dispatches[0]!;
    expect(d.workflowId).toBe("modelship-train.yml");
    expect(d.ref).toBe("changes");
    expect(d.inputs).toEqual({
      pr_number: "1",
      head_sha: pull.head.sha,
      params: JSON.stringify({ learningRate: 0.05, epochs: 20 }),
      correlation_id: `pr1-${pull.head.sha}-c${payload.comment.id}`,
      trigger: "comment",
    });
    const checks = h.repo.checkRuns.filter((c) => c.name === "modelship/train");
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({
      headSha: pull.head.sha,
      status: "queued",
      externalId: d.inputs.correlation_id,
    });
    // The check run exists before the workflow is dispatched.
    const order = h.fake.calls.map((c) => c.operationId);
    expect(order.indexOf("checks/create")).toBeLessThan(order.indexOf("actions/create-workflow-dispatch"));
    // The config came from the default branch, without a ref.
    const configReads = h.fake.callsTo("repos/get-content");
    expect(configReads.every((c) => c.query.ref === undefined)).toBe(true);
  });

  it.each([
    { runners: [], warned: true },
    { runners: [{ status: "offline" as const, labels: ["self-hosted", "gpu"] }], warned: true },
    { runners: [{ status: "online" as const, labels: ["self-hosted", "linux", "gpu"] }], warned: false },
    { runners: [{ status: "online" as const, labels: ["self-hosted", "linux"] }], warned: true },
  ])(
    "/train says when no online runner carries the training labels ($runners)",
    async ({ runners, warned }) => {
      h.repo.runners = runners.map((r, i) => ({
        id: i + 1,
        name: `runner-${i + 1}`,
        os: "Linux",
        busy: false,
        ...r,
      }));
      await h.receive("issue_comment", commentPayload(h, { body: "/train" }));
      expect(h.repo.dispatches).toHaveLength(1);
      const check = h.repo.checkRuns.find((c) => c.name === "modelship/train")!;
      expect(check.output.title).toBe(warned ? "Training queued: no runner online" : "Training queued");
      expect(check.output.summary?.includes("No online self-hosted runner carries the labels")).toBe(warned);
    },
  );

  it("a redelivered comment (same delivery id) dispatches once; a second delivery of the same comment also once", async () => {
    const payload = commentPayload(h, { body: "/train" });
    await h.receive("issue_comment", payload, "delivery-1");
    await h.receive("issue_comment", payload, "delivery-1");
    await h.receive("issue_comment", payload, "delivery-2");
    expect(h.repo.dispatches).toHaveLength(1);
    expect(h.repo.checkRuns).toHaveLength(1);
  });

  it.each([{ who: "reader", permission: "read" }])(
    "/train by a $permission user: 👎 and a reply that says why, no dispatch",
    async ({ who, permission }) => {
      const payload = commentPayload(h, { body: "/train", login: who });
      await h.receive("issue_comment", payload);
      expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
      expect(h.repo.dispatches).toEqual([]);
      expect(h.repo.checkRuns).toEqual([]);
      const [reply] = botComments(h, 1);
      expect(reply).toContain(`@${who}`);
      expect(reply).toContain(`needs **write** permission on this repository; you have **${permission}**`);
    },
  );

  it("a write user cannot /deploy (maintain by default)", async () => {
    const payload = commentPayload(h, { body: "/deploy" });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(botComments(h, 1)[0]).toContain("`/deploy` needs **maintain** permission");
    expect(h.repo.deployments).toEqual([]);
  });

  it.each([
    { title: "a quoted command", body: "> /deploy production\nwe should not do this" },
    { title: "a command mid-sentence", body: "please don't /train yet" },
    { title: "a code block", body: "```\n/train\n```" },
    { title: "plain text", body: "LGTM" },
  ])("$title triggers nothing at all", async ({ body }) => {
    const payload = commentPayload(h, { body });
    await h.receive("issue_comment", payload);
    expect(h.fake.calls).toEqual([]);
  });

  it("comments on issues (not pull requests) are ignored", async () => {
    const payload = commentPayload(h, { body: "/train" });
    delete payload.issue.pull_request;
    await h.receive("issue_comment", payload);
    expect(h.fake.calls).toEqual([]);
  });

  it("a fork PR is refused for /train with an explanation", async () => {
    addPull(h.fake.state, h.repo, { number: 2, fork: true });
    const payload = commentPayload(h, { body: "/train", pr: 2 });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(h.repo.dispatches).toEqual([]);
    expect(botComments(h, 2)[0]).toMatch(/forks.*self-hosted runners.*fork-not-allowed/s);
  });

  it.each([
    {
      body: "/train seed=3",
      text: "'seed' is not declared under train.search; allowed: `learningRate`, `epochs`",
      reason: "unknown-parameter",
    },
    {
      body: "/train epochs=1000",
      text: "epochs must be an integer between 1 and 200 (got '1000')",
      reason: "value-out-of-range",
    },
    { body: '/train epochs="20', text: "a quoted argument is not closed", reason: "unterminated-quote" },
    { body: "/deploy mars", text: "'mars' is not a configured environment", reason: "unknown-environment" },
  ])("$body is refused with $reason", async ({ body, text, reason }) => {
    h.repo.permissions.Codertocat = "admin";
    const payload = commentPayload(h, { body });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(h.repo.dispatches).toEqual([]);
    const [reply] = botComments(h, 1);
    expect(reply).toContain(text);
    expect(reply).toContain(`\`${reason}\``);
  });

  it("a broken config on the default branch is answered with file:line:column", async () => {
    h.repo.files.main![".github/modelship.yml"] = "model:\n  name: iris\ntrain:\n  epocs: 3\n";
    const payload = commentPayload(h, { body: "/train" });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(botComments(h, 1)[0]).toContain(".github/modelship.yml:4:3: train: unknown key 'epocs'");
  });

  it("the PR head's config is never read: a PR cannot lower the permission it needs", async () => {
    const pull = h.repo.pulls[1]!;
    h.repo.files[pull.head.sha] = { ".github/modelship.yml": "github:\n  permissions:\n    train: read\n" };
    h.repo.files.changes = h.repo.files[pull.head.sha]!;
    const payload = commentPayload(h, { body: "/train", login: "reader" });
    await h.receive("issue_comment", payload);
    expect(h.repo.dispatches).toEqual([]);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
  });

  it("a dispatch GitHub rejects fails the check and says why", async () => {
    delete h.repo.refs["refs/heads/changes"];
    const payload = commentPayload(h, { body: "/train" });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(h.repo.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(botComments(h, 1)[0]).toContain("`dispatch-failed`");
  });

  it("/help replies with the command table", async () => {
    const payload = commentPayload(h, { body: "/help", login: "reader" });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "rocket"]);
    const [reply] = botComments(h, 1);
    expect(reply).toContain("| `/train [key=value …]` |");
    expect(reply).toContain("| `/promote VERSION ENV` |");
  });

  it("/lock then /lock again is refused, /unlock releases; locks are refs", async () => {
    h.repo.permissions.boss = "maintain";
    await h.receive("issue_comment", commentPayload(h, { body: "/lock staging", login: "boss" }));
    expect(Object.keys(h.repo.refs).filter((r) => r.includes("lock"))).toHaveLength(1);
    const again = commentPayload(h, { body: "/lock staging", login: "boss" });
    await h.receive("issue_comment", again);
    expect(reactionsOn(h, again.comment.id)).toEqual(["eyes", "-1"]);
    expect(botComments(h, 1).at(-1)).toContain("already locked by @boss");
    await h.receive("issue_comment", commentPayload(h, { body: "/unlock staging", login: "boss" }));
    expect(Object.keys(h.repo.refs).filter((r) => r.includes("lock"))).toHaveLength(0);
  });
});
