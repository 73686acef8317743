import { parseCorrelationId } from "../../core/bot/correlation-id.ts";
import { trainCommandFromText } from "../../core/bot/train-params-text.ts";
import { validateCommand } from "../../core/commands/validate-command.ts";
import type { BotEnv } from "../bot-event.ts";
import { dispatchTraining, TRAIN_CHECK_NAME } from "../dispatch-training.ts";
import { repoConfig } from "../repo-config.ts";

export type CheckRunPayload = {
  check_run: {
    id: number;
    name: string;
    head_sha: string;
    external_id: string | null;
    output?: { text?: string | null } | null;
  };
};

/**
 * "Re-run" on the `modelship/train` check: dispatches training again for the same PR and commit
 * with the parameters the check recorded (validated against today's config), once per delivery.
 */
export async function handleCheckRunRerequested(env: BotEnv, payload: CheckRunPayload): Promise<void> {
  const run = payload.check_run;
  if (run.name !== TRAIN_CHECK_NAME) return;
  const correlation = run.external_id ? parseCorrelationId(run.external_id) : undefined;
  if (!correlation || correlation.pr === null) return;
  const loaded = await repoConfig(env.gh);
  if (!loaded.ok) return;
  const pull = await env.gh.pull(correlation.pr);
  // Re-running an old commit's check does not train the new head.
  if (pull.headSha !== run.head_sha) return;
  // The recorded parameters are checked again; any that no longer fit fall back to the config's.
  const validated = validateCommand(trainCommandFromText(run.output?.text), loaded.config);
  const params = validated.ok && validated.command.name === "train" ? validated.command.params : {};
  if (!validated.ok) env.log.warn({ reason: validated.reason }, validated.message);
  const nonce = `r${env.deliveryId
    .replace(/[^A-Za-z0-9]/g, "")
    .toLowerCase()
    .slice(0, 31)}`;
  const result = await dispatchTraining({
    gh: env.gh,
    config: loaded.config,
    pull,
    params,
    trigger: "rerequest",
    nonce,
  });
  if (result.outcome === "refused") env.log.warn({ reason: result.reason }, result.message);
}
