import { appDeployments, liveVersion, parseDeploymentPayload } from "../core/bot/deployment-payload.ts";
import { appLogin } from "../core/bot/judge-provenance.ts";
import { planDeployment, type DeploymentPlan, type DeployRefusal } from "../core/bot/plan-deployment.ts";
import type { Config } from "../core/config/schema.ts";
import type { BotGitHub } from "./github-port.ts";
import { TRAIN_CHECK_NAME } from "./dispatch-training.ts";

const FAILED = new Set(["failure", "error", "inactive"]);

export type DeployOutcome =
  | { outcome: "created"; deploymentId: number; plan: Extract<DeploymentPlan, { action: "deploy" }> }
  | { outcome: "exists"; deploymentId: number }
  | { outcome: "refused"; reason: string; message: string };

/**
 * Creates a GitHub Deployment of a registered version, after the lock and gate checks; one
 * deployment per (ref, environment, version): a repeated request finds the earlier one.
 */
export async function deployVersion(input: {
  gh: BotGitHub;
  config: Config;
  environment: string;
  version: string;
  ref: string;
  /** Commit whose checks gate the deploy (the PR's head or merge commit). */
  checkSha: string | null;
  pr: number | null;
  kind: "merge" | "deploy" | "rollback" | "promote";
  actor: string | null;
  fromFork: boolean;
}): Promise<DeployOutcome> {
  const { gh, config } = input;
  // Only the App's own deployments say what is live; anyone with write access can create others.
  const deployments = appDeployments(
    await gh.listDeployments(input.environment),
    appLogin(config),
    config.model.name,
  );
  // A redelivered event finds its own deployment as the newest one of this model: reuse it.
  const newest = deployments.find((d) => parseDeploymentPayload(d.payload)?.model === config.model.name);
  const same =
    newest &&
    parseDeploymentPayload(newest.payload)?.version === input.version &&
    !FAILED.has(newest.latestState ?? "")
      ? newest
      : undefined;
  if (same) return { outcome: "exists", deploymentId: same.id };
  const live = liveVersion(deployments, config.model.name);
  const needsGates = input.kind === "deploy" || input.kind === "merge";
  const [lock, approvedReview, checksGreen] = await Promise.all([
    gh.getLock(input.environment),
    needsGates && input.pr !== null ? gh.approvedReview(input.pr) : Promise.resolve(null),
    needsGates && input.checkSha !== null
      ? gh.checksGreen(input.checkSha, [TRAIN_CHECK_NAME])
      : Promise.resolve(null),
  ]);
  const plan = planDeployment({
    config,
    environment: input.environment,
    version: input.version,
    // What the deploy replaces: the live version; a rollback replaces the newest attempt.
    previousVersion:
      input.kind === "rollback"
        ? (parseDeploymentPayload(newest?.payload)?.version ?? live?.version ?? null)
        : (live?.version ?? null),
    ref: input.ref,
    pr: input.pr,
    kind: input.kind,
    lock,
    actor: input.actor,
    approvedReview,
    checksGreen,
    fromFork: input.fromFork,
  });
  if (plan.action === "refuse") return { outcome: "refused", reason: plan.reason, message: plan.message };
  // A deployment nobody runs stays pending forever: the deploy workflow must exist to run it.
  const workflow = `.github/workflows/${config.github.deployWorkflow}`;
  if ((await gh.readDefaultBranchFile(workflow)) === null) {
    return {
      outcome: "refused",
      reason: "deploy-workflow-missing" satisfies DeployRefusal,
      message: `\`${workflow}\` is not on the default branch, so nothing would run the deployment. Add it (\`modelship init\` writes one) or set \`github.deployWorkflow\` to the file that runs on \`deployment\` events.`,
    };
  }
  const created = await gh.createDeployment({
    ref: plan.ref,
    environment: input.environment,
    payload: plan.payload,
    description: plan.description,
  });
  return { outcome: "created", deploymentId: created.id, plan };
}
