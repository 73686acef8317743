import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readActionContext } from "../../action/read-action-context.ts";
import { webhookExample } from "./action-workspace.ts";

async function contextFor(name: string, payload: unknown, env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "modelship-event-"));
  const path = join(dir, "event.json");
  await writeFile(path, JSON.stringify(payload));
  return readActionContext({
    GITHUB_WORKSPACE: dir,
    GITHUB_EVENT_NAME: name,
    GITHUB_EVENT_PATH: path,
    GITHUB_REPOSITORY: "Codertocat/Hello-World",
    GITHUB_RUN_ID: "7011",
    GITHUB_RUN_ATTEMPT: "1",
    ...env,
  });
}

describe("readActionContext", () => {
  it.each([
    ["pull_request", "opened", (p: Record<string, unknown>) => p, 2],
    ["issue_comment", "created", (p: Record<string, unknown>) => p, undefined],
    [
      "issue_comment",
      "created",
      (p: Record<string, unknown>) => ({
        ...p,
        issue: { ...(p["issue"] as object), pull_request: { url: "x" } },
      }),
      1,
    ],
    [
      "workflow_dispatch",
      undefined,
      (p: Record<string, unknown>) => ({ ...p, inputs: { pr_number: "42" } }),
      42,
    ],
    [
      "workflow_dispatch",
      undefined,
      (p: Record<string, unknown>) => ({ ...p, inputs: { pr_number: "" } }),
      undefined,
    ],
    [
      "workflow_dispatch",
      undefined,
      (p: Record<string, unknown>) => ({ ...p, inputs: { pr_number: "4 2" } }),
      undefined,
    ],
  ])("finds the pull request of a real %s.%s payload", async (name, action, change, pr) => {
    const ctx = await contextFor(name, change(await webhookExample(name, action)));
    expect(ctx.pullRequest).toBe(pr);
  });

  it("reads the deployment of a deployment event, and links the run (with its attempt)", async () => {
    const payload = await webhookExample("deployment", "created");
    const ctx = await contextFor("deployment", payload, { GITHUB_RUN_ATTEMPT: "2" });
    expect(ctx.deployment).toMatchObject({ id: 145988746, environment: "production" });
    expect(ctx.runUrl).toBe("https://github.com/Codertocat/Hello-World/actions/runs/7011/attempts/2");
    expect(ctx).toMatchObject({ owner: "Codertocat", repo: "Hello-World", apiUrl: "https://api.github.com" });
  });

  it("refuses a payload GitHub would not send", async () => {
    await expect(contextFor("pull_request", { pull_request: { number: "2" } })).rejects.toThrow(
      /event-invalid|not what GitHub sends/,
    );
  });
});
