import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOY_LOCK_FORMAT, renderLockMessage } from "../../core/github/deploy-lock.ts";
import { classifierModel } from "../fixtures/onnx/make-models.ts";
import {
  ensureRepo,
  startFakeGitHub,
  type FakeGitHub,
  type FakeRepo,
} from "../support/fake-github/fake-github.ts";
import { createWorkspace, IRIS_CONFIG, webhookExample } from "./action-workspace.ts";
import { CLI_ENTRY, runAction, type RunActionOptions } from "./run-action.ts";

const DEPLOY_CONFIG = `${IRIS_CONFIG}deploy:
  port: 0
  health: { readyTimeoutSeconds: 20, intervalMs: 100 }
  analysis: { smokeRequests: 3, postSwitchSeconds: 0 }
  scaleDownDelaySeconds: 0
  environments:
    production: { url: "https://iris.example.com" }
`;

let fake: FakeGitHub;
let repo: FakeRepo;
let headSha = "";
const routers: number[] = [];

beforeAll(async () => {
  fake = await startFakeGitHub();
  repo = ensureRepo(fake.state, "Codertocat", "Hello-World");
  headSha = repo.refs["refs/heads/main"]!;
  // Deployments below are created as the App does it: with an installation token of `modelship[bot]`.
  fake.state.tokens["ghs_app"] = fake.state.appBot;
  fake.state.tokens["ghs_mallory"] = { login: "mallory", id: 666, type: "User" };
});
afterAll(async () => {
  for (const pid of routers) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  expect(fake.invalid).toEqual([]);
  await fake.close();
});

/** A workspace whose candidate run carries a real ONNX model, as a training run leaves it. */
async function registerWorkspace(config = DEPLOY_CONFIG): Promise<string> {
  const ws = await createWorkspace({ config });
  await mkdir(join(ws, "runs", "iris-candidate", "model"), { recursive: true });
  await writeFile(join(ws, "runs", "iris-candidate", "model", "model.onnx"), classifierModel());
  return ws;
}

function run(ws: string, inputs: Record<string, string>, extra: Partial<RunActionOptions> = {}) {
  return runAction({
    workspace: ws,
    inputs: { "github-token": "ghs_workflowtoken", ...inputs },
    apiUrl: fake.url,
    timeoutMs: 120_000,
    ...extra,
    env: { GITHUB_SHA: headSha, MODELSHIP_CLI: CLI_ENTRY, ...extra.env },
  });
}

function opsSince(n: number): string[] {
  return fake.calls.slice(n).map((c) => c.operationId);
}

describe("command: register", () => {
  it("creates the tag, the release and its assets with a sha256 manifest, once", async () => {
    const ws = await registerWorkspace();
    const before = fake.calls.length;
    const first = await run(ws, { command: "register", "run-dir": "runs/iris-candidate", pr: "2" });
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs).toMatchObject({ decision: "pass", "reason-code": "registered", version: "1.0.0" });
    const ops = opsSince(before);
    expect(ops).toContain("git/create-ref");
    expect(ops.filter((o) => o === "repos/create-release")).toHaveLength(1);
    const release = repo.releases.find((r) => r.tagName === "model/iris/v1.0.0");
    expect(release).toBeDefined();
    expect(release!.assets.map((a) => a.name).sort()).toEqual([
      "SHA256SUMS",
      "history.json",
      "metrics.json",
      "model.model.onnx",
      "params.json",
      "run.json",
    ]);
    const sums = release!.assets.find((a) => a.name === "SHA256SUMS")!.data.toString("utf8");
    const modelSha = createHash("sha256").update(classifierModel()).digest("hex");
    expect(sums).toContain(`${modelSha}  model.model.onnx`);
    for (const asset of release!.assets.filter((a) => a.name !== "SHA256SUMS")) {
      expect(sums).toContain(`${createHash("sha256").update(asset.data).digest("hex")}  ${asset.name}`);
    }
    expect(release!.body).toContain("#2");
    expect(first.summary).toContain("Registered");

    const mid = fake.calls.length;
    const again = await run(ws, { command: "register", "run-dir": "runs/iris-candidate" });
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ "reason-code": "already-registered", version: "1.0.0" });
    expect(
      opsSince(mid).filter((o) => o === "repos/create-release" || o === "repos/upload-release-asset"),
    ).toEqual([]);
    expect(repo.releases.filter((r) => r.tagName.startsWith("model/iris/"))).toHaveLength(1);
  });

  it.each(["register", "deploy", "rollback"])(
    "refuses to %s from a pull_request event (unmerged code is never promoted)",
    async (command) => {
      const ws = await registerWorkspace();
      const before = fake.calls.length;
      const payload = await webhookExample("pull_request", "opened");
      const result = await run(
        ws,
        { command, "run-dir": "runs/iris-candidate" },
        { event: { name: "pull_request", payload } },
      );
      expect(result.code).toBe(1);
      expect(result.outputs).toMatchObject({ decision: "error", "reason-code": "unmerged-code" });
      expect(fake.calls.length).toBe(before);
    },
  );

  it("refuses to register a run that fails a gate", async () => {
    const ws = await registerWorkspace(IRIS_CONFIG.replace("min: 0.9", "min: 0.99"));
    const before = fake.calls.length;
    const result = await run(ws, { command: "register", "run-dir": "runs/iris-candidate" });
    expect(result.code).toBe(1);
    expect(result.outputs).toMatchObject({ decision: "fail", "reason-code": "gates-failed" });
    expect(opsSince(before)).not.toContain("repos/create-release");
  });
});

describe("commands: deploy and rollback (local target)", () => {
  let home = "";
  let ws = "";

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "modelship-home-"));
    ws = await registerWorkspace();
    const registered = await run(ws, { command: "register", "run-dir": "runs/iris-candidate" });
    expect(registered.outputs["version"]).toBe("1.0.0");
  });

  /** A GitHub Deployment as the App creates it, and the `deployment` event GitHub then sends. */
  async function deploymentEvent(version: string, environment = "production", token = "ghs_app") {
    const payload = {
      model: "iris",
      version,
      strategy: "blue-green",
      previousVersion: null,
      environment,
      pr: 2,
    };
    const res = await fetch(`${fake.url}/repos/Codertocat/Hello-World/deployments`, {
      method: "POST",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ ref: "main", environment, payload, auto_merge: false, required_contexts: [] }),
    });
    const created = (await res.json()) as { id: number };
    const event = await webhookExample("deployment", "created");
    const deployment = event["deployment"] as Record<string, unknown>;
    Object.assign(deployment, {
      id: created.id,
      environment,
      original_environment: environment,
      payload,
      sha: headSha,
      ref: "main",
    });
    return { id: created.id, event: { name: "deployment", payload: event } };
  }

  function statusesOf(id: number) {
    return repo.deploymentStatuses
      .filter((s) => s.deploymentId === id)
      .map((s) => ({ state: s.state, environmentUrl: s.environmentUrl, logUrl: s.logUrl }));
  }

  async function adminFile(): Promise<{ routerUrl: string; pid: number }> {
    return JSON.parse(
      await readFile(join(home, ".modelship", "deploy", "production.admin.json"), "utf8"),
    ) as {
      routerUrl: string;
      pid: number;
    };
  }

  it("refuses a deployment a write user created through the API: nothing is deployed", async () => {
    const { id, event } = await deploymentEvent("1.0.0", "production", "ghs_mallory");
    const aliasesBefore = Object.keys(repo.refs).filter((r) => r.includes("modelship-alias/"));
    const before = fake.calls.length;
    const result = await run(ws, { command: "deploy" }, { event, env: { MODELSHIP_HOME: home } });
    expect(result.code).not.toBe(0);
    expect(result.outputs).toMatchObject({ decision: "error", "reason-code": "untrusted-deployment" });
    expect(result.stdout + result.stderr).toContain("created by mallory, not by the Modelship App");
    expect(statusesOf(id).map((s) => s.state)).toEqual(["error"]);
    expect(opsSince(before)).not.toContain("repos/get-release-asset");
    expect(Object.keys(repo.refs).filter((r) => r.includes("modelship-alias/"))).toEqual(aliasesBefore);
  });

  it("refuses an App deployment when the environment was locked after it was requested", async () => {
    const { id, event } = await deploymentEvent("1.0.0", "staging");
    const lock = await fetch(`${fake.url}/repos/Codertocat/Hello-World/git/commits`, {
      method: "POST",
      headers: { authorization: "token ghs_app", "content-type": "application/json" },
      body: JSON.stringify({
        // Taken by another maintainer after the App created the deployment.
        message: renderLockMessage({
          format: DEPLOY_LOCK_FORMAT,
          environment: "staging",
          actor: "ops",
          reason: "/lock on #3",
          createdAt: new Date(Date.now() + 60_000).toISOString(),
          sha: "",
        }),
        tree: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        parents: [],
      }),
    });
    const commit = (await lock.json()) as { sha: string };
    repo.refs["refs/heads/modelship-lock/staging"] = commit.sha;
    const before = fake.calls.length;
    const result = await run(ws, { command: "deploy" }, { event, env: { MODELSHIP_HOME: home } });
    delete repo.refs["refs/heads/modelship-lock/staging"];
    expect(result.code).not.toBe(0);
    expect(result.outputs).toMatchObject({ "reason-code": "environment-locked" });
    expect(statusesOf(id).map((s) => s.state)).toEqual(["error"]);
    expect(opsSince(before)).not.toContain("repos/get-release-asset");
  });

  it("deploys on a deployment event: in_progress, then success with the environment URL; the alias moves", async () => {
    const { id, event } = await deploymentEvent("1.0.0");
    const result = await run(ws, { command: "deploy" }, { event, env: { MODELSHIP_HOME: home } });
    const admin = await adminFile().catch(() => undefined);
    if (admin) routers.push(admin.pid);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs).toMatchObject({
      decision: "pass",
      "reason-code": "promoted",
      version: "1.0.0",
      "deployment-url": "https://iris.example.com",
    });
    const runUrl = "https://github.com/Codertocat/Hello-World/actions/runs/7011";
    expect(statusesOf(id)).toEqual([
      { state: "in_progress", environmentUrl: "", logUrl: runUrl },
      { state: "success", environmentUrl: "https://iris.example.com", logUrl: runUrl },
    ]);
    const served = await fetch(`${admin!.routerUrl}/v2/models/iris`);
    expect(served.status).toBe(200);
    expect(served.headers.get("x-modelship-version")).toBe("1.0.0");
    expect(repo.refs["refs/heads/modelship-alias/iris/production"]).toBeDefined();
  });

  it("deploys a new version without the App (creating the deployment), then rolls back to the previous one", async () => {
    const candidate = join(ws, "runs", "iris-candidate");
    const record = JSON.parse(await readFile(join(candidate, "run.json"), "utf8")) as Record<string, unknown>;
    await writeFile(
      join(candidate, "run.json"),
      JSON.stringify({ ...record, runId: "20261127-001500-aaaaaa" }),
    );
    const registered = await run(ws, {
      command: "register",
      "run-dir": "runs/iris-candidate",
      baseline: "runs/iris-baseline",
    });
    const v2 = registered.outputs["version"];
    expect(v2).toMatch(/^1\.\d+\.\d+$/);
    expect(v2).not.toBe("1.0.0");

    const before = repo.deployments.length;
    const deployed = await run(ws, { command: "deploy" }, { env: { MODELSHIP_HOME: home } });
    expect(deployed.outputs, deployed.stdout).toMatchObject({
      decision: "pass",
      "reason-code": "promoted",
      version: v2,
    });
    const created = repo.deployments.slice(before);
    expect(created).toHaveLength(1);
    expect(created[0]!.payload).toEqual({
      model: "iris",
      version: v2,
      strategy: "blue-green",
      previousVersion: "1.0.0",
      environment: "production",
      pr: null,
    });
    expect(statusesOf(created[0]!.id).map((s) => s.state)).toEqual(["in_progress", "success"]);

    const rolledBack = await run(ws, { command: "rollback" }, { env: { MODELSHIP_HOME: home } });
    expect(rolledBack.outputs, rolledBack.stdout).toMatchObject({
      decision: "pass",
      "reason-code": "promoted",
      version: "1.0.0",
    });
    const served = await fetch(`${(await adminFile()).routerUrl}/v2/models/iris`);
    expect(served.headers.get("x-modelship-version")).toBe("1.0.0");
    const last = repo.deployments.at(-1)!;
    expect(last.payload).toMatchObject({ version: "1.0.0", previousVersion: v2 });
  });

  it("report without a baseline compares with the version live in the environment, from the registry", async () => {
    const result = await run(ws, { command: "report", "run-dir": "runs/iris-candidate" });
    expect(result.code, result.stdout).toBe(0);
    expect(result.summary).toContain("compared with baseline **v1.0.0**");
  });

  it("ends a deployment Modelship did not create in error (deployment-payload-invalid)", async () => {
    const { id, event } = await deploymentEvent("1.0.0");
    const deployment = event.payload["deployment"] as Record<string, unknown>;
    deployment["payload"] = { version: "1.0.0" };
    const result = await run(ws, { command: "deploy" }, { event, env: { MODELSHIP_HOME: home } });
    expect(result.outputs).toMatchObject({ decision: "error", "reason-code": "deployment-payload-invalid" });
    expect(statusesOf(id).map((s) => s.state)).toEqual(["error"]);
  });

  it("ends the deployment in error when the version does not exist", async () => {
    const { id, event } = await deploymentEvent("9.9.9");
    const result = await run(ws, { command: "deploy" }, { event, env: { MODELSHIP_HOME: home } });
    expect(result.code).toBe(1);
    expect(result.outputs).toMatchObject({ decision: "error", "reason-code": "version-not-found" });
    expect(statusesOf(id).map((s) => s.state)).toEqual(["error"]);
  });
});
