import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BASIC_CONFIG,
  botComments,
  commentPayload,
  reactionsOn,
  startHarness,
  type Harness,
} from "./bot-harness.ts";

const DEPLOY_TEMPLATE = await readFile(
  join(import.meta.dirname, "..", "..", "templates", "workflows", "modelship-deploy.yml"),
  "utf8",
);

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.repo.files.main![".github/workflows/modelship-deploy.yml"] = DEPLOY_TEMPLATE;
});
afterEach(() => h.checkAndClose());

describe("/ab-report [env]", () => {
  it.each([
    { body: "/ab-report staging", environment: "staging" },
    { body: "/ab-report", environment: "production" },
  ])(
    "'$body' by a reader dispatches the deploy workflow's ab-report job for $environment and this PR",
    async ({ body, environment }) => {
      const payload = commentPayload(h, { body, login: "reader" });
      await h.receive("issue_comment", payload);
      expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "rocket"]);
      expect(h.repo.dispatches).toEqual([
        expect.objectContaining({
          workflowId: "modelship-deploy.yml",
          ref: "main",
          inputs: { environment, pr_number: "1" },
        }),
      ]);
      const [reply] = botComments(h, 1);
      expect(reply).toContain(`@reader the A/B report of \`${environment}\` is on its way`);
    },
  );

  it.each([
    {
      title: "a deploy workflow without workflow_dispatch",
      setup: (x: Harness) => {
        x.repo.files.main![".github/workflows/modelship-deploy.yml"] =
          "name: modelship deploy\non: deployment\n";
      },
      body: "/ab-report",
      reason: "workflow-not-dispatchable",
    },
    {
      title: "no deploy workflow",
      setup: (x: Harness) => {
        delete x.repo.files.main![".github/workflows/modelship-deploy.yml"];
      },
      body: "/ab-report",
      reason: "deploy-workflow-missing",
    },
    {
      title: "a Kubernetes target",
      setup: (x: Harness) => {
        x.repo.files.main![".github/modelship.yml"] =
          `${BASIC_CONFIG.replace("deploy:\n", "deploy:\n  target: kubernetes\n")}`;
      },
      body: "/ab-report",
      reason: "target-not-local",
    },
    {
      title: "an unknown environment",
      setup: () => undefined,
      body: "/ab-report moon",
      reason: "unknown-environment",
    },
  ])("is refused with $reason for $title, dispatching nothing", async ({ setup, body, reason }) => {
    setup(h);
    const payload = commentPayload(h, { body, login: "reader" });
    await h.receive("issue_comment", payload);
    expect(reactionsOn(h, payload.comment.id)).toEqual(["eyes", "-1"]);
    expect(h.repo.dispatches).toEqual([]);
    expect(botComments(h, 1)[0]).toContain(`(\`${reason}\`)`);
  });

  it("is listed by /help", async () => {
    await h.receive("issue_comment", commentPayload(h, { body: "/help", login: "reader" }));
    expect(botComments(h, 1)[0]).toContain("| `/ab-report [env]` |");
  });
});
