import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApplicationFunction, Context, Probot } from "probot";
import type { BotEnv } from "./bot-event.ts";
import { createCommandRateLimiter, type CommandRateLimiter } from "./command-rate-limit.ts";
import { createDeliveryDedup, type DeliveryDedup } from "./dedup-deliveries.ts";
import type { BotGitHub } from "./github-port.ts";
import { handleCheckRunRerequested } from "./handlers/check-run-rerequested.ts";
import { handleDeploymentStatusCreated } from "./handlers/deployment-status-created.ts";
import { handleInstallationCreated, type InstallationPayload } from "./handlers/installation-created.ts";
import { handleIssueCommentCreated } from "./handlers/issue-comment-created.ts";
import { handlePullRequestClosed } from "./handlers/pull-request-closed.ts";
import { handlePullRequestUpdated } from "./handlers/pull-request-updated.ts";
import { handleWorkflowRun } from "./handlers/workflow-run.ts";
import { createOctokitBotGitHub } from "./octokit-bot-github.ts";
import { openOnboardingPull } from "./open-onboarding-pull.ts";

export type ModelshipAppOptions = {
  /** Where delivery ids are remembered; in memory by default (see file-delivery-dedup.ts). */
  dedup?: DeliveryDedup;
  now?: () => Date;
  rateLimit?: CommandRateLimiter;
  /** Slash commands older than this are refused as stale; default one hour. */
  maxCommandAgeMs?: number;
  /** Builds the GitHub port for an event; defaults to the Octokit implementation. */
  github?: (context: Context) => BotGitHub;
  /** The Action reference (`OWNER/REPO@REF`) the onboarding pull request's workflows use. */
  onboardingAction?: string;
};

type AnyContext = Context & { payload: unknown };

/** The webhook events the App handles; `app.yml` subscribes to exactly these. */
export const APP_EVENTS = [
  "issue_comment.created",
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.synchronize",
  "pull_request.closed",
  "check_run.rerequested",
  "workflow_run.requested",
  "workflow_run.in_progress",
  "workflow_run.completed",
  "deployment_status.created",
  "installation.created",
  "installation_repositories.added",
] as const;

/**
 * The Probot app: one small handler per event, each delivery handled once (`X-GitHub-Delivery`,
 * remembered across restarts when the store is durable), every handler idempotent against state
 * kept in GitHub.
 */
export function createModelshipApp(options: ModelshipAppOptions = {}): ApplicationFunction {
  const dedup = options.dedup ?? createDeliveryDedup();
  const now = options.now ?? (() => new Date());
  const rateLimit = options.rateLimit ?? createCommandRateLimiter();
  const maxCommandAgeMs = options.maxCommandAgeMs ?? 3_600_000;
  const github = options.github ?? ((context: Context) => createOctokitBotGitHub(context));

  return (app: Probot) => {
    const on = <P>(
      events: Parameters<Probot["on"]>[0],
      handler: (env: BotEnv, payload: P, context: Context) => Promise<void>,
    ): void => {
      app.on(events, async (context: AnyContext) => {
        if (!(await dedup.claim(context.id))) {
          context.log.info({ delivery: context.id }, "duplicate delivery ignored");
          return;
        }
        const scratch: string[] = [];
        let gh: BotGitHub | undefined;
        const env: BotEnv = {
          deliveryId: context.id,
          log: context.log,
          // Built on first use: installation events have no repository.
          get gh() {
            return (gh ??= github(context));
          },
          now,
          rateLimit,
          maxCommandAgeMs,
          scratchDir: async () => {
            const dir = await mkdtemp(join(tmpdir(), "modelship-bot-"));
            scratch.push(dir);
            return dir;
          },
        };
        try {
          await handler(env, context.payload as P, context);
        } catch (err) {
          // Let GitHub's redelivery of this id try again.
          await dedup.release(context.id);
          throw err;
        } finally {
          await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
        }
      });
    };

    on("issue_comment.created", handleIssueCommentCreated);
    on(
      ["pull_request.opened", "pull_request.reopened", "pull_request.synchronize"],
      handlePullRequestUpdated,
    );
    on("pull_request.closed", handlePullRequestClosed);
    on("check_run.rerequested", handleCheckRunRerequested);
    on(["workflow_run.requested", "workflow_run.in_progress", "workflow_run.completed"], handleWorkflowRun);
    on("deployment_status.created", handleDeploymentStatusCreated);
    on<InstallationPayload>(
      ["installation.created", "installation_repositories.added"],
      (env, payload, context) =>
        handleInstallationCreated(
          {
            log: env.log,
            onboard: (owner, repo) =>
              openOnboardingPull(context.octokit, {
                owner,
                repo,
                ...(options.onboardingAction ? { action: options.onboardingAction } : {}),
              }),
          },
          payload,
        ),
    );
  };
}
