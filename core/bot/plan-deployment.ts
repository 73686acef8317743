import type { Config } from "../config/schema.ts";
import type { TrafficStrategy } from "../config/traffic-schema.ts";

/** The GitHub Deployment payload (the contract with the deploy workflow). */
export type DeploymentPayload = {
  model: string;
  version: string;
  strategy: TrafficStrategy;
  previousVersion: string | null;
  environment: string;
  pr: number | null;
};

/** Why a deploy was refused. Closed set, shown to users. */
export type DeployRefusal =
  | "environment-locked"
  | "review-required"
  | "checks-not-green"
  | "checks-unknown"
  | "fork-not-allowed"
  | "version-not-found"
  | "no-previous-version"
  | "already-deployed"
  | "not-released"
  | "deploy-workflow-missing";

export type DeploymentPlan =
  | { action: "deploy"; payload: DeploymentPayload; ref: string; description: string }
  | { action: "refuse"; reason: DeployRefusal; message: string };

/**
 * Decides whether a deploy may go ahead: the environment's lock (held by someone else), and the
 * gates from `deploy.environments` (approved review, green checks on the SHA), failing closed when
 * the facts are unknown. Comment-triggered deploys bypass GitHub's environment protection, so
 * these gates are Modelship's own.
 */
export function planDeployment(input: {
  config: Config;
  environment: string;
  version: string;
  previousVersion: string | null;
  ref: string;
  pr: number | null;
  kind: "merge" | "deploy" | "rollback" | "promote";
  lock: { locked: false } | { locked: true; owner: string | null };
  actor: string | null;
  approvedReview: boolean | null;
  checksGreen: boolean | null;
  fromFork: boolean;
}): DeploymentPlan {
  const env = input.config.deploy.environments[input.environment];
  const requireReview = env?.requireApprovedReview ?? true;
  const requireChecks = env?.requireGreenChecks ?? true;
  const refuse = (reason: DeployRefusal, message: string): DeploymentPlan => ({
    action: "refuse",
    reason,
    message,
  });
  if (input.fromFork && !input.config.github.allowForks) {
    return refuse(
      "fork-not-allowed",
      "deploys from fork pull requests are off (`github.allowForks: false`).",
    );
  }
  if (input.lock.locked && (input.lock.owner === null || input.lock.owner !== input.actor)) {
    return refuse(
      "environment-locked",
      `\`${input.environment}\` is locked${input.lock.owner ? ` by @${input.lock.owner}` : ""}; \`/unlock ${input.environment}\` releases it.`,
    );
  }
  // A rollback may redeploy what is live (e.g. after a failed deploy of a newer version).
  if (input.kind !== "rollback" && input.previousVersion === input.version) {
    return refuse("already-deployed", `${input.version} is already the version in \`${input.environment}\`.`);
  }
  // Rollback and promote move versions that were released from merged, reviewed code; a deploy
  // from a pull request (and the deploy on merge) must show the review and checks now.
  if (input.kind === "deploy" || input.kind === "merge") {
    if (requireReview && input.approvedReview !== true) {
      return refuse(
        "review-required",
        `\`${input.environment}\` requires an approved review of the pull request.`,
      );
    }
    if (requireChecks && input.checksGreen === null) {
      return refuse(
        "checks-unknown",
        "the check results for this commit could not be read, so the deploy stops.",
      );
    }
    if (requireChecks && !input.checksGreen) {
      return refuse(
        "checks-not-green",
        `\`${input.environment}\` requires every check on the commit to pass.`,
      );
    }
  }
  return {
    action: "deploy",
    ref: input.ref,
    description: `${input.kind} ${input.config.model.name} ${input.version} to ${input.environment}`,
    payload: {
      model: input.config.model.name,
      version: input.version,
      strategy: input.config.deploy.strategy,
      previousVersion: input.previousVersion,
      environment: input.environment,
      pr: input.pr,
    },
  };
}
