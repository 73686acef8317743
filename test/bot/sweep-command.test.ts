import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addPull } from "../support/fake-github/fake-github.ts";
import { botComments, commentPayload, reactionsOn, startHarness, type Harness } from "./bot-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.checkAndClose());

describe("/sweep on a pull-request comment", () => {
  it.each([
    { body: "/sweep 12", inputs: {} },
    {
      body: "/sweep 4 --sampler random --pruner hyperband",
      inputs: { sampler: "random", pruner: "hyperband" },
    },
    { body: "/sweep 1 --pruner none", inputs: { pruner: "none" } },
  ])(
    "$body by a writer: 🚀, the sweep workflow dispatched on the head branch for the PR's study",
    async ({ body, inputs }) => {
      const payload = commentPayload(h, { body });
      await h.receive("issue_comment", payload);
      expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "rocket"]);
      expect(h.repo.dispatches).toHaveLength(1);
      const d = h.repo.dispatches[0]!;
      expect(d.workflowId).toBe("modelship-sweep.yml");
      expect(d.ref).toBe("changes");
      const trials = body.split(" ")[1]!;
      expect(d.inputs).toEqual({ study: expect.stringMatching(/-pr1$/), trials, pr: "1", ...inputs });
      const [reply] = botComments(h, 1);
      expect(reply).toContain(`started ${trials} trial(s) of study \`${d.inputs.study}\``);
      expect(h.fake.callsTo("actions/create-workflow-dispatch")).toHaveLength(1);
    },
  );

  it("a reader is refused: 👎, a reply naming the permission, no dispatch", async () => {
    const payload = commentPayload(h, { body: "/sweep 8", login: "reader" });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(h.repo.dispatches).toEqual([]);
    expect(botComments(h, 1)[0]).toContain(
      "`/sweep` needs **write** permission on this repository; you have **read**",
    );
  });

  it.each([
    { body: "/sweep", text: "usage: /sweep N [--sampler tpe|random|grid]", reason: "missing-argument" },
    {
      body: "/sweep 0",
      text: "N must be a whole number of trials from 1 to 256",
      reason: "value-out-of-range",
    },
    { body: "/sweep 257", text: "from 1 to 256 (got '257')", reason: "value-out-of-range" },
    { body: "/sweep many", text: "(got 'many'); usage: /sweep N", reason: "value-out-of-range" },
    {
      body: "/sweep 8 --sampler bayes",
      text: "--sampler must be one of `tpe`, `random`, `grid`",
      reason: "value-not-allowed",
    },
    { body: "/sweep 8 --pruner", text: "--pruner must be one of `median`", reason: "value-not-allowed" },
    { body: "/sweep 8 --trials 3", text: "'--trials' is not an option", reason: "unexpected-argument" },
    { body: "/sweep 8 sampler=tpe", text: "usage: /sweep N", reason: "unexpected-argument" },
    {
      body: "/sweep 8 --sampler tpe --sampler grid",
      text: "--sampler is given more than once",
      reason: "duplicate-parameter",
    },
  ])("$body is a usage error: 👎 and a reply, no dispatch", async ({ body, text, reason }) => {
    const payload = commentPayload(h, { body });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(h.repo.dispatches).toEqual([]);
    const [reply] = botComments(h, 1);
    expect(reply).toContain(text);
    expect(reply).toContain(`(\`${reason}\`)`);
  });

  it("the same comment delivered again under a new delivery id dispatches nothing more", async () => {
    const payload = commentPayload(h, { body: "/sweep 6" });
    await h.receive("issue_comment", payload);
    await h.receive("issue_comment", payload);
    expect(h.repo.dispatches).toHaveLength(1);
    expect(botComments(h, 1)).toHaveLength(1);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "rocket"]);
    // A new comment is a new request.
    const again = commentPayload(h, { body: "/sweep 6" });
    await h.receive("issue_comment", again);
    expect(h.repo.dispatches).toHaveLength(2);
  });

  it("a comment whose dispatch failed is not marked as dispatched: its redelivery dispatches", async () => {
    const branch = "refs/heads/changes";
    const head = h.repo.refs[branch]!;
    delete h.repo.refs[branch];
    const payload = commentPayload(h, { body: "/sweep 3" });
    await h.receive("issue_comment", payload);
    expect(h.repo.dispatches).toEqual([]);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(botComments(h, 1)[0]).toContain("(`dispatch-failed`)");
    h.repo.refs[branch] = head;
    await h.receive("issue_comment", payload);
    expect(h.repo.dispatches).toHaveLength(1);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1", "rocket"]);
  });

  it("a pull request from a fork is refused", async () => {
    addPull(h.fake.state, h.repo, { number: 2, fork: true });
    const payload = commentPayload(h, { body: "/sweep 8", pr: 2 });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(h.repo.dispatches).toEqual([]);
    expect(botComments(h, 2)[0]).toMatch(/fork cannot start one.*fork-not-allowed/s);
  });

  it("a config with nothing to search refuses /sweep", async () => {
    await h.close();
    h = await startHarness({ config: "model: { name: iris, task: classification }\n" });
    const payload = commentPayload(h, { body: "/sweep 8" });
    await h.receive("issue_comment", payload);
    expect(h.repo.dispatches).toEqual([]);
    expect(botComments(h, 1)[0]).toContain("no parameters under train.search. (`no-search-space`)");
  });
});
