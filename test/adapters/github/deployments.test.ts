import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acquireLock,
  createDeployment,
  createDeploymentStatus,
  findPreviousSuccessfulDeployment,
  readLock,
  releaseLock,
} from "../../../adapters/github/deployments.ts";
import type { DeploymentPayload } from "../../../core/bot/plan-deployment.ts";
import { lockRefFor } from "../../../core/github/deploy-lock.ts";
import {
  addCommit,
  startFakeGitHub,
  type FakeGitHub,
  type FakeRepo,
} from "../../support/fake-github/fake-github.ts";
import { CLIENTS, actionsClient, probotClient } from "./github-clients.ts";

let gh: FakeGitHub;
let repo: FakeRepo;
let sha: string;
const now = new Date("2026-03-01T12:00:00Z");
const payload = (version: string, previousVersion: string | null): DeploymentPayload => ({
  model: "iris",
  version,
  strategy: "blue-green",
  previousVersion,
  environment: "production",
  pr: 12,
});

beforeAll(async () => {
  gh = await startFakeGitHub();
  repo = gh.repo("acme", "models");
  sha = addCommit(repo, {
    message: "merge #12",
    parents: [repo.refs["refs/heads/main"] ?? ""],
    branch: "main",
  });
});
afterAll(() => gh.close());

describe("deployments", () => {
  it.each(CLIENTS)(
    "creates a deployment with the Modelship payload and reports statuses (%s client)",
    async (kind, make) => {
      const octokit = make(gh);
      const env = `env-${kind}`;
      const created = await createDeployment(octokit, {
        owner: "acme",
        repo: "models",
        ref: sha,
        payload: { ...payload("1.1.0", "1.0.0"), environment: env },
        requiredContexts: [],
      });
      if (created.outcome !== "created") throw new Error(created.message);
      expect(gh.callsTo("repos/create-deployment").at(-1)?.body).toEqual({
        ref: sha,
        task: "deploy",
        auto_merge: false,
        required_contexts: [],
        payload: {
          model: "iris",
          version: "1.1.0",
          strategy: "blue-green",
          previousVersion: "1.0.0",
          environment: env,
          pr: 12,
        },
        environment: env,
        description: "iris 1.1.0",
      });
      for (const state of ["queued", "in_progress", "success"] as const) {
        await createDeploymentStatus(octokit, {
          owner: "acme",
          repo: "models",
          deploymentId: created.id,
          state,
          logUrl: "https://github.com/acme/models/actions/runs/9",
          environmentUrl: "https://iris.example.com",
        });
      }
      expect(
        repo.deploymentStatuses.filter((s) => s.deploymentId === created.id).map((s) => s.state),
      ).toEqual(["queued", "in_progress", "success"]);
      expect(gh.invalid).toEqual([]);
    },
  );

  it("answers checks-failed when a required check is not green", async () => {
    const result = await createDeployment(actionsClient(gh), {
      owner: "acme",
      repo: "models",
      ref: sha,
      payload: payload("9.0.0", null),
      requiredContexts: ["modelship/train"],
    });
    expect(result.outcome).toBe("checks-failed");
  });

  it("finds the previous successful deployment although GitHub marked it inactive", async () => {
    const octokit = actionsClient(gh);
    const deploy = async (version: string, previous: string | null, states: Array<"success" | "failure">) => {
      const d = await createDeployment(octokit, {
        owner: "acme",
        repo: "models",
        ref: sha,
        payload: { ...payload(version, previous), environment: "staging" },
        requiredContexts: [],
      });
      if (d.outcome !== "created") throw new Error(d.message);
      for (const state of states)
        await createDeploymentStatus(octokit, { owner: "acme", repo: "models", deploymentId: d.id, state });
      return d.id;
    };
    const first = await deploy("1.0.0", null, ["success"]);
    const second = await deploy("1.1.0", "1.0.0", ["success"]);
    const broken = await deploy("1.2.0", "1.1.0", ["failure"]);
    // GitHub itself marked 1.0.0 inactive when 1.1.0 succeeded.
    expect(repo.deploymentStatuses.filter((s) => s.deploymentId === first).map((s) => s.state)).toEqual([
      "success",
      "inactive",
    ]);
    const previous = await findPreviousSuccessfulDeployment(octokit, {
      owner: "acme",
      repo: "models",
      environment: "staging",
      model: "iris",
      excludeId: second,
    });
    expect(previous).toMatchObject({
      id: first,
      payload: { version: "1.0.0" },
      effectiveState: "success",
      latestState: "inactive",
    });
    const live = await findPreviousSuccessfulDeployment(octokit, {
      owner: "acme",
      repo: "models",
      environment: "staging",
      model: "iris",
    });
    expect(live?.id).toBe(second);
    expect(live?.id).not.toBe(broken);
    expect(
      await findPreviousSuccessfulDeployment(octokit, {
        owner: "acme",
        repo: "models",
        environment: "staging",
        model: "penguins",
      }),
    ).toBeUndefined();
    expect(gh.invalid).toEqual([]);
  });
});

describe("deploy locks", () => {
  it("is taken atomically: a second acquire reports the holder", async () => {
    const a = probotClient(gh);
    const first = await acquireLock(a, {
      owner: "acme",
      repo: "models",
      environment: "production",
      actor: "alice",
      reason: "deploy iris 1.1.0",
      sha,
      now,
    });
    expect(first).toMatchObject({
      outcome: "acquired",
      lock: { actor: "alice", environment: "production", sha, createdAt: "2026-03-01T12:00:00.000Z" },
    });
    expect(repo.refs[lockRefFor("production")]).toBeDefined();
    const second = await acquireLock(actionsClient(gh), {
      owner: "acme",
      repo: "models",
      environment: "production",
      actor: "bob",
      reason: "rollback",
      sha,
      now,
    });
    expect(second).toEqual({
      outcome: "held",
      holder: expect.objectContaining({ actor: "alice", reason: "deploy iris 1.1.0" }),
    });
    expect(gh.callsTo("git/create-ref").map((c) => c.status)).toEqual([201, 422]);
    expect(gh.callsTo("git/create-ref")[0]?.body).toMatchObject({
      ref: "refs/heads/modelship-lock/production",
    });
    expect(gh.invalid).toEqual([]);
  });

  it("is released only by its holder, unless forced", async () => {
    const octokit = actionsClient(gh);
    expect(
      await releaseLock(octokit, { owner: "acme", repo: "models", environment: "production", actor: "bob" }),
    ).toMatchObject({ outcome: "held-by-other", holder: { actor: "alice" } });
    expect(
      await releaseLock(octokit, {
        owner: "acme",
        repo: "models",
        environment: "production",
        actor: "alice",
      }),
    ).toMatchObject({ outcome: "released" });
    expect(
      await readLock(octokit, { owner: "acme", repo: "models", environment: "production" }),
    ).toBeUndefined();
    expect(await releaseLock(octokit, { owner: "acme", repo: "models", environment: "production" })).toEqual({
      outcome: "not-held",
    });
    await acquireLock(octokit, {
      owner: "acme",
      repo: "models",
      environment: "production",
      actor: "carol",
      reason: "x",
      sha,
      now,
    });
    expect(
      await releaseLock(octokit, {
        owner: "acme",
        repo: "models",
        environment: "production",
        actor: "dave",
        force: true,
      }),
    ).toMatchObject({ outcome: "released", lock: { actor: "carol" } });
    expect(gh.invalid).toEqual([]);
  });

  it("keeps environments with unusual names apart", async () => {
    const octokit = actionsClient(gh);
    await acquireLock(octokit, {
      owner: "acme",
      repo: "models",
      environment: "EU West/1",
      actor: "a",
      reason: "",
      sha,
      now,
    });
    const other = await acquireLock(octokit, {
      owner: "acme",
      repo: "models",
      environment: "EU West 1",
      actor: "b",
      reason: "",
      sha,
      now,
    });
    expect(other.outcome).toBe("acquired");
    expect(lockRefFor("EU West/1")).not.toBe(lockRefFor("EU West 1"));
  });
});
