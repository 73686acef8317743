import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifierModel } from "../fixtures/onnx/make-models.ts";
import {
  ensureRepo,
  startFakeGitHub,
  type FakeGitHub,
  type FakeRepo,
} from "../support/fake-github/fake-github.ts";
import { createWorkspace } from "./action-workspace.ts";
import { CLI_ENTRY, runAction } from "./run-action.ts";

let fake: FakeGitHub;
let repo: FakeRepo;
const workspaces: string[] = [];

beforeAll(async () => {
  fake = await startFakeGitHub();
  repo = ensureRepo(fake.state, "Codertocat", "Hello-World");
});
afterAll(async () => {
  expect(fake.invalid).toEqual([]);
  await fake.close();
  for (const ws of workspaces) await rm(ws, { recursive: true, force: true });
});

const whole = classifierModel();

describe("command: register loads the model before creating a version", () => {
  it.each([
    ["a truncated ONNX file", whole.subarray(0, Math.floor(whole.length / 2)), /cannot be loaded/],
    ["bytes that are no ONNX model", new TextEncoder().encode("onnx bytes"), /cannot be loaded/],
  ])(
    "refuses %s with model-load-failed, creating no tag and no release",
    async (_name, bytes, message) => {
      const ws = await createWorkspace();
      workspaces.push(ws);
      await mkdir(join(ws, "runs", "iris-candidate", "model"), { recursive: true });
      await writeFile(join(ws, "runs", "iris-candidate", "model", "model.onnx"), bytes);
      const before = fake.calls.length;
      const result = await runAction({
        workspace: ws,
        inputs: {
          "github-token": "ghs_workflowtoken",
          command: "register",
          "run-dir": "runs/iris-candidate",
        },
        apiUrl: fake.url,
        timeoutMs: 120_000,
        env: { GITHUB_SHA: repo.refs["refs/heads/main"]!, MODELSHIP_CLI: CLI_ENTRY },
      });
      expect(result.code).toBe(1);
      expect(result.outputs, result.stdout + result.stderr).toMatchObject({
        decision: "error",
        "reason-code": "model-load-failed",
      });
      expect(result.errors[0]?.message).toMatch(message);
      expect(result.summary).toContain("model-load-failed");
      const ops = fake.calls.slice(before).map((c) => c.operationId);
      expect(ops).not.toContain("git/create-ref");
      expect(ops).not.toContain("repos/create-release");
      expect(repo.releases.filter((r) => r.tagName.startsWith("model/iris/"))).toEqual([]);
    },
    120_000,
  );

  it("registers the whole model after the same check", async () => {
    const ws = await createWorkspace();
    workspaces.push(ws);
    await mkdir(join(ws, "runs", "iris-candidate", "model"), { recursive: true });
    await writeFile(join(ws, "runs", "iris-candidate", "model", "model.onnx"), whole);
    const result = await runAction({
      workspace: ws,
      inputs: { "github-token": "ghs_workflowtoken", command: "register", "run-dir": "runs/iris-candidate" },
      apiUrl: fake.url,
      timeoutMs: 120_000,
      env: { GITHUB_SHA: repo.refs["refs/heads/main"]!, MODELSHIP_CLI: CLI_ENTRY },
    });
    expect(result.outputs, result.stdout + result.stderr).toMatchObject({
      decision: "pass",
      "reason-code": "registered",
    });
  });
});
