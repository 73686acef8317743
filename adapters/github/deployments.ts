import { parseDeploymentPayload } from "../../core/bot/deployment-payload.ts";
import type { DeploymentPayload } from "../../core/bot/plan-deployment.ts";
import {
  lockRefFor,
  parseLockMessage,
  renderLockMessage,
  DEPLOY_LOCK_FORMAT,
  type DeployLock,
} from "../../core/github/deploy-lock.ts";
import { createFileCommit, isRefExists, readRef, shortRef, type GitDataPort } from "./git-data.ts";
import { githubMessage, httpStatus } from "./http-status.ts";

type DeploymentData = {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  payload: unknown;
  created_at: string;
  description?: string | null;
  creator?: { login: string } | null;
};
type StatusData = {
  id: number;
  state: string;
  created_at: string;
  environment_url?: string;
  log_url?: string;
};

export type DeploymentState =
  "queued" | "in_progress" | "success" | "failure" | "error" | "inactive" | "pending";

/** What the deployment functions need of an Octokit client. */
export type DeploymentsPort = {
  rest: {
    repos: {
      createDeployment(params: {
        owner: string;
        repo: string;
        ref: string;
        task?: string;
        auto_merge?: boolean;
        required_contexts?: string[];
        payload?: Record<string, unknown>;
        environment?: string;
        description?: string | null;
        transient_environment?: boolean;
        production_environment?: boolean;
      }): Promise<{ status: number; data: DeploymentData | { message?: string } }>;
      createDeploymentStatus(params: {
        owner: string;
        repo: string;
        deployment_id: number;
        state: DeploymentState;
        description?: string;
        environment?: string;
        environment_url?: string;
        log_url?: string;
        auto_inactive?: boolean;
      }): Promise<{ data: StatusData }>;
      listDeployments(params: {
        owner: string;
        repo: string;
        environment?: string;
        sha?: string;
        task?: string;
        per_page?: number;
        page?: number;
      }): Promise<{
        data: DeploymentData[];
      }>;
      getDeployment(params: {
        owner: string;
        repo: string;
        deployment_id: number;
      }): Promise<{ data: DeploymentData }>;
      listDeploymentStatuses(params: {
        owner: string;
        repo: string;
        deployment_id: number;
        per_page?: number;
        page?: number;
      }): Promise<{ data: StatusData[] }>;
    };
  };
};

type Repo = { owner: string; repo: string };

export type CreateDeploymentResult =
  | { outcome: "created"; id: number; sha: string }
  | { outcome: "checks-failed"; message: string }
  | { outcome: "not-created"; message: string };

/**
 * Creates a GitHub Deployment of `ref` (bind it to a commit SHA) with the Modelship payload.
 * `auto_merge` is off (a deploy never merges branches); `requiredContexts` are the checks GitHub
 * must see green on the commit (`[]` skips GitHub's check, for when Modelship checked itself).
 */
export async function createDeployment(
  octokit: DeploymentsPort,
  opts: Repo & {
    ref: string;
    payload: DeploymentPayload;
    requiredContexts: string[];
    description?: string;
    productionEnvironment?: boolean;
    transientEnvironment?: boolean;
  },
): Promise<CreateDeploymentResult> {
  try {
    const res = await octokit.rest.repos.createDeployment({
      owner: opts.owner,
      repo: opts.repo,
      ref: opts.ref,
      task: "deploy",
      auto_merge: false,
      required_contexts: opts.requiredContexts,
      payload: { ...opts.payload },
      environment: opts.payload.environment,
      description: (opts.description ?? `${opts.payload.model} ${opts.payload.version}`).slice(0, 140),
      ...(opts.productionEnvironment !== undefined
        ? { production_environment: opts.productionEnvironment }
        : {}),
      ...(opts.transientEnvironment !== undefined
        ? { transient_environment: opts.transientEnvironment }
        : {}),
    });
    const data = res.data;
    if (res.status !== 201 || !("id" in data)) {
      return {
        outcome: "not-created",
        message: ("message" in data ? data.message : undefined) ?? `GitHub answered ${res.status}`,
      };
    }
    return { outcome: "created", id: data.id, sha: data.sha };
  } catch (err) {
    if (httpStatus(err) === 409) return { outcome: "checks-failed", message: githubMessage(err) };
    throw err;
  }
}

/** Reports a deployment status; `logUrl` links the run, `environmentUrl` the deployed service. */
export async function createDeploymentStatus(
  octokit: DeploymentsPort,
  opts: Repo & {
    deploymentId: number;
    state: DeploymentState;
    description?: string;
    environmentUrl?: string;
    logUrl?: string;
    autoInactive?: boolean;
  },
): Promise<{ id: number }> {
  const { data } = await octokit.rest.repos.createDeploymentStatus({
    owner: opts.owner,
    repo: opts.repo,
    deployment_id: opts.deploymentId,
    state: opts.state,
    ...(opts.description !== undefined ? { description: opts.description.slice(0, 140) } : {}),
    ...(opts.environmentUrl !== undefined ? { environment_url: opts.environmentUrl } : {}),
    ...(opts.logUrl !== undefined ? { log_url: opts.logUrl } : {}),
    ...(opts.autoInactive !== undefined ? { auto_inactive: opts.autoInactive } : {}),
  });
  return { id: data.id };
}

export type DeploymentRecord = {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  createdAt: string;
  /** Who created it, as GitHub records it (the App's bot user for deployments the App made). */
  creator: string | null;
  /** The Modelship payload; undefined when the deployment was not made by Modelship. */
  payload: DeploymentPayload | undefined;
  /** Newest status, `inactive` included; null when none. */
  latestState: string | null;
  /** Newest status other than `inactive` (GitHub marks older successes inactive by itself). */
  effectiveState: string | null;
};

/** Deployments of an environment, newest first, each with its newest statuses (at most `limit`). */
export async function listDeployments(
  octokit: DeploymentsPort,
  opts: Repo & { environment: string; limit?: number },
): Promise<DeploymentRecord[]> {
  const limit = opts.limit ?? 100;
  const out: DeploymentRecord[] = [];
  for (let page = 1; out.length < limit; page++) {
    const { data } = await octokit.rest.repos.listDeployments({
      owner: opts.owner,
      repo: opts.repo,
      environment: opts.environment,
      per_page: 100,
      page,
    });
    for (const d of data) {
      if (out.length >= limit) break;
      out.push(await withStatuses(octokit, opts, d));
    }
    if (data.length < 100) break;
  }
  return out;
}

/**
 * The newest deployment of `model` in `environment` that succeeded and was not failed or
 * errored since (an `inactive` status added by GitHub when a newer deployment succeeded does not
 * count against it), skipping `excludeId`. This is what a rollback returns to.
 */
export async function findPreviousSuccessfulDeployment(
  octokit: DeploymentsPort,
  opts: Repo & { environment: string; model?: string; excludeId?: number; limit?: number },
): Promise<DeploymentRecord | undefined> {
  const list = await listDeployments(octokit, opts);
  return list.find(
    (d) =>
      d.id !== opts.excludeId &&
      d.effectiveState === "success" &&
      (opts.model === undefined || d.payload?.model === opts.model),
  );
}

async function withStatuses(
  octokit: DeploymentsPort,
  repo: Repo,
  d: DeploymentData,
): Promise<DeploymentRecord> {
  const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({
    owner: repo.owner,
    repo: repo.repo,
    deployment_id: d.id,
    per_page: 100,
  });
  // GitHub lists statuses newest first.
  return {
    id: d.id,
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    createdAt: d.created_at,
    creator: d.creator?.login ?? null,
    payload: parseDeploymentPayload(d.payload),
    latestState: statuses[0]?.state ?? null,
    effectiveState: statuses.find((s) => s.state !== "inactive")?.state ?? null,
  };
}

// ---- deploy locks ---------------------------------------------------------------------------

export type AcquireLockResult =
  { outcome: "acquired"; lock: DeployLock } | { outcome: "held"; holder: DeployLock | null };

/**
 * Takes an environment's deploy lock: a branch `modelship-lock/<environment>` created in one
 * atomic request, pointing at a commit (no parent, only `lock.json`) that records who holds it.
 * When the branch exists GitHub answers 422 and the lock is held: the holder is returned (null
 * when its commit is not a readable lock). The lock commit has no workflow files, so creating the
 * branch starts no workflow.
 */
export async function acquireLock(
  octokit: GitDataPort,
  opts: Repo & { environment: string; actor: string; reason: string; sha: string; now: Date },
): Promise<AcquireLockResult> {
  const repo = { owner: opts.owner, repo: opts.repo };
  const lock: DeployLock = {
    format: DEPLOY_LOCK_FORMAT,
    environment: opts.environment,
    actor: opts.actor,
    reason: opts.reason,
    createdAt: opts.now.toISOString(),
    sha: opts.sha,
  };
  const commit = await createFileCommit(octokit, repo, {
    path: "lock.json",
    content: `${JSON.stringify(lock, null, 2)}\n`,
    message: renderLockMessage(lock),
    parents: [],
  });
  try {
    await octokit.rest.git.createRef({ ...repo, ref: lockRefFor(opts.environment), sha: commit });
    return { outcome: "acquired", lock };
  } catch (err) {
    if (!isRefExists(err)) throw err;
    return { outcome: "held", holder: (await readLock(octokit, opts)) ?? null };
  }
}

/** Who holds an environment's deploy lock; undefined when it is free (a lock ref that is not ours reads as held by an unknown holder). */
export async function readLock(
  octokit: GitDataPort,
  opts: Repo & { environment: string },
): Promise<DeployLock | undefined> {
  const repo = { owner: opts.owner, repo: opts.repo };
  const sha = await readRef(octokit, repo, lockRefFor(opts.environment));
  if (sha === undefined) return undefined;
  const { data } = await octokit.rest.git.getCommit({ ...repo, commit_sha: sha });
  return (
    parseLockMessage(data.message) ?? {
      format: DEPLOY_LOCK_FORMAT,
      environment: opts.environment,
      actor: "unknown",
      reason: "the lock ref does not hold a Modelship lock",
      createdAt: "",
      sha: "",
    }
  );
}

export type ReleaseLockResult =
  | { outcome: "released"; lock: DeployLock }
  | { outcome: "not-held" }
  | { outcome: "held-by-other"; holder: DeployLock };

/** Frees an environment's deploy lock; only its holder may, unless `force` (an /unlock by a maintainer). */
export async function releaseLock(
  octokit: GitDataPort,
  opts: Repo & { environment: string; actor?: string; force?: boolean },
): Promise<ReleaseLockResult> {
  const lock = await readLock(octokit, opts);
  if (lock === undefined) return { outcome: "not-held" };
  if (opts.force !== true && opts.actor !== undefined && lock.actor !== opts.actor)
    return { outcome: "held-by-other", holder: lock };
  try {
    await octokit.rest.git.deleteRef({
      owner: opts.owner,
      repo: opts.repo,
      ref: shortRef(lockRefFor(opts.environment)),
    });
  } catch (err) {
    if (httpStatus(err) === 422 || httpStatus(err) === 404) return { outcome: "not-held" };
    throw err;
  }
  return { outcome: "released", lock };
}
