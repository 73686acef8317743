import { getOctokit } from "@actions/github";
import { openGitHubReleasesRegistry } from "../adapters/github/releases-registry.ts";
import { upsertStickyComment, type StickyCommentResult } from "../adapters/github/upsert-sticky-comment.ts";
import { createDeployment, createDeploymentStatus } from "../adapters/github/deployments.ts";
import type { DeploymentPayload } from "../core/bot/plan-deployment.ts";
import type { Config } from "../core/config/schema.ts";
import { ModelshipError } from "../core/errors.ts";
import type { Registry } from "../core/registry/registry-port.ts";
import { requireRepository, requireToken, type CommandContext } from "./command-context.ts";

type Octokit = ReturnType<typeof getOctokit>;

const clients = new WeakMap<CommandContext, Octokit>();

/** One Octokit per command run, pointed at GITHUB_API_URL, authenticated with the `github-token` input. */
export function octokitFor(ctx: CommandContext, why: string): Octokit {
  let client = clients.get(ctx);
  if (!client) {
    client = getOctokit(requireToken(ctx, why), { baseUrl: ctx.action.apiUrl });
    clients.set(ctx, client);
  }
  return client;
}

/** The GitHub Releases registry of the workflow's repository, opened on first use. */
export function openActionRegistry(ctx: CommandContext, config: Config): Registry {
  let opened: Promise<Registry> | undefined;
  const get = () => (opened ??= openReleasesRegistryFor(ctx, config));
  return {
    register: async (input) => (await get()).register(input),
    list: async (name) => (await get()).list(name),
    get: async (name, version) => (await get()).get(name, version),
    latest: async (name) => (await get()).latest(name),
    materialize: async (name, version, dest) => (await get()).materialize(name, version, dest),
    verify: async (name, version) => (await get()).verify(name, version),
    setAlias: async (name, alias, version, opts) => (await get()).setAlias(name, alias, version, opts),
    resolve: async (name, ref) => (await get()).resolve(name, ref),
    aliasHistory: async (name, alias) => (await get()).aliasHistory(name, alias),
  };
}

function openReleasesRegistryFor(ctx: CommandContext, config: Config): Promise<Registry> {
  const octokit = octokitFor(ctx, "read and write the model registry (GitHub Releases)");
  const { owner, repo } = requireRepository(ctx);
  return openGitHubReleasesRegistry(octokit, {
    owner,
    repo,
    tagFormat: config.registry.tagFormat,
    ...(ctx.action.sha ? { targetCommitish: ctx.action.sha } : {}),
    ...(ctx.action.runUrl ? { lineageLinks: { "Workflow run": ctx.action.runUrl } } : {}),
  });
}

/** Creates or edits the one report comment of a pull request, found by its hidden marker (all pages). */
export async function upsertReportComment(
  ctx: CommandContext,
  o: { pr: number; marker: string; body: string },
): Promise<StickyCommentResult> {
  const octokit = octokitFor(ctx, "comment on the pull request");
  const { owner, repo } = requireRepository(ctx);
  return upsertStickyComment(octokit, { owner, repo, issueNumber: o.pr, marker: o.marker, body: o.body });
}

/** Reports statuses on one GitHub Deployment. */
export type DeploymentReporter = {
  deploymentId: number;
  status(
    state: "in_progress" | "success" | "failure" | "error",
    o: { description: string; environmentUrl?: string },
  ): Promise<void>;
};

/** Reports on the deployment of the triggering `deployment` event. */
export function reporterForDeployment(ctx: CommandContext, deploymentId: number): DeploymentReporter {
  const octokit = octokitFor(ctx, "report deployment statuses");
  const { owner, repo } = requireRepository(ctx);
  return {
    deploymentId,
    async status(state, s) {
      await createDeploymentStatus(octokit, {
        owner,
        repo,
        deploymentId,
        state,
        description: s.description,
        ...(ctx.action.runUrl ? { logUrl: ctx.action.runUrl } : {}),
        ...(s.environmentUrl ? { environmentUrl: s.environmentUrl } : {}),
        ...(state === "success" ? { autoInactive: true } : {}),
      });
    },
  };
}

/** Creates a GitHub Deployment of this run's commit with the Modelship payload, and reports on it. */
export async function createRunDeployment(
  ctx: CommandContext,
  payload: DeploymentPayload,
): Promise<DeploymentReporter> {
  const octokit = octokitFor(ctx, "create a deployment");
  const { owner, repo } = requireRepository(ctx);
  const created = await createDeployment(octokit, {
    owner,
    repo,
    ref: ctx.action.sha || ctx.action.ref,
    payload,
    // The Action was started by a workflow the repository controls; its own gates already ran.
    requiredContexts: [],
  });
  if (created.outcome !== "created") {
    throw new ModelshipError({
      code: "deployment-not-created",
      message: `GitHub did not create the deployment: ${created.message}`,
      hint: "Give the job `deployments: write` permission.",
    });
  }
  return reporterForDeployment(ctx, created.id);
}
