import { parseDeploymentPayload } from "../../core/bot/deployment-payload.ts";
import { escapeCode, escapeMarkdown, safeUrl } from "../../core/report/escape-markdown.ts";
import { appLogin } from "../../core/bot/judge-provenance.ts";
import type { BotEnv } from "../bot-event.ts";
import { repoConfig } from "../repo-config.ts";

export type DeploymentStatusPayload = {
  deployment_status: {
    state: string;
    description?: string | null;
    log_url?: string | null;
    target_url?: string | null;
  };
  deployment: {
    id: number;
    environment: string;
    payload: unknown;
    creator?: { login: string } | null;
  };
};

/**
 * A failed deployment of a model says so on the PR it came from (one comment per deployment);
 * only deployments the App created: anyone with write access can create others, with any payload.
 */
export async function handleDeploymentStatusCreated(
  env: BotEnv,
  payload: DeploymentStatusPayload,
): Promise<void> {
  const status = payload.deployment_status;
  if (status.state !== "failure" && status.state !== "error") return;
  const p = parseDeploymentPayload(payload.deployment.payload);
  if (!p || p.pr === null) return;
  const loaded = await repoConfig(env.gh);
  if (!loaded.ok || payload.deployment.creator?.login !== appLogin(loaded.config)) return;
  const marker = `<!-- modelship:deployment id=${payload.deployment.id} -->`;
  const logs = safeUrl(status.log_url ?? status.target_url ?? "");
  const body = [
    marker,
    `❌ Deployment of **${escapeMarkdown(p.model)} ${escapeMarkdown(p.version)}** to ${escapeCode(p.environment)} ${status.state === "error" ? "errored" : "failed"}: ${escapeMarkdown(status.description || "no reason given", { maxLength: 500 })}.`,
    p.previousVersion
      ? `The environment keeps ${escapeMarkdown(p.previousVersion)}; ${escapeCode(`/rollback ${p.environment}`)} redeploys it explicitly.`
      : "There is no earlier version to roll back to.",
    ...(logs ? [`Logs: [deployment logs](${logs})`] : []),
  ].join("\n");
  await env.gh.upsertComment(p.pr, marker, body);
}
