import { readLock } from "../../adapters/github/deployments.ts";
import { parseDeploymentPayload } from "../../core/bot/deployment-payload.ts";
import { appLogin } from "../../core/bot/judge-provenance.ts";
import type { DeploymentPayload } from "../../core/bot/plan-deployment.ts";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { requireRepository, type CommandContext } from "../command-context.ts";
import { octokitFor } from "../github-services.ts";

/**
 * Checks the deployment that started this run before anything is deployed, from GitHub's own
 * record of it (not the event file): the App (`<github.appSlug>[bot]`) must have created it, the
 * payload must be the one the App wrote, and no lock on the environment may be newer than it (the
 * App checked the lock when it created the deployment; a lock taken since then wins).
 */
export async function checkDeploymentTrust(
  ctx: CommandContext,
  config: Config,
  event: { id: number; environment: string; payload: unknown },
): Promise<DeploymentPayload> {
  const octokit = octokitFor(ctx, "check who created the deployment");
  const repo = requireRepository(ctx);
  const { data } = await octokit.rest.repos.getDeployment({ ...repo, deployment_id: event.id });
  const app = appLogin(config);
  const creator = data.creator?.login ?? "an unknown user";
  if (creator !== app) {
    throw new ModelshipError({
      code: "untrusted-deployment",
      message: `deployment ${event.id} was created by ${creator}, not by the Modelship App (${app}); it is not deployed`,
      hint: "Deploy with the App's `/deploy`, `/promote` or `/rollback`; if the App has another slug, set `github.appSlug`.",
    });
  }
  const payload = parseDeploymentPayload(data.payload);
  const fromEvent = parseDeploymentPayload(event.payload);
  if (
    !payload ||
    JSON.stringify(payload) !== JSON.stringify(fromEvent) ||
    data.environment !== event.environment
  ) {
    throw new ModelshipError({
      code: "deployment-payload-invalid",
      message: `deployment ${event.id}'s event does not match GitHub's record of it`,
      hint: "Run the deploy workflow only on `deployment` events.",
    });
  }
  const lock = await readLock(octokit, { ...repo, environment: data.environment });
  if (lock && !(Date.parse(lock.createdAt) <= Date.parse(data.created_at))) {
    throw new ModelshipError({
      code: "environment-locked",
      message: `\`${data.environment}\` was locked by ${lock.actor} after deployment ${event.id} was requested`,
      hint: `\`/unlock ${data.environment}\` releases it; then deploy again.`,
    });
  }
  return payload;
}
