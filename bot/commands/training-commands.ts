import { parseCorrelationId } from "../../core/bot/correlation-id.ts";
import type { Command } from "../../core/commands/validate-command.ts";
import type { BotEnv } from "../bot-event.ts";
import { dispatchTraining, TRAIN_CHECK_NAME } from "../dispatch-training.ts";
import { reportTrainingRun } from "../report-training-run.ts";
import { refused, type CommandInput, type Outcome } from "./command-outcome.ts";

/** `/train`: dispatches the training workflow for the pull request's head. */
export async function runTrain(
  env: BotEnv,
  input: CommandInput<Extract<Command, { name: "train" }>>,
): Promise<Outcome> {
  const result = await dispatchTraining({
    gh: env.gh,
    config: input.config,
    pull: await env.gh.pull(input.pr),
    params: input.command.params,
    trigger: "comment",
    nonce: `c${input.commentId}`,
  });
  return result.outcome === "refused" ? refused(result) : { ok: true };
}

/** `/compare`: reports the newest completed training run of the head again, against a baseline if named. */
export async function runCompare(
  env: BotEnv,
  input: CommandInput<Extract<Command, { name: "compare" }>>,
): Promise<Outcome> {
  const { gh } = env;
  const { config, command, pr } = input;
  const pull = await gh.pull(pr);
  const checks = await gh.listCheckRuns(pull.headSha, TRAIN_CHECK_NAME);
  for (const check of checks) {
    const correlation = check.externalId ? parseCorrelationId(check.externalId) : undefined;
    if (!correlation || correlation.pr !== pr) continue;
    const run = await gh.findTrainingRun(config.github.trainWorkflow, correlation.id, pull.headSha);
    if (run?.status !== "completed") continue;
    const report = await reportTrainingRun({
      env,
      config,
      configText: input.configText,
      correlation,
      run,
      ...(command.baseline ? { baselineRef: command.baseline } : {}),
    });
    return report.ok
      ? { ok: true }
      : { ok: false, reply: `the latest training run has no report: ${report.reason}.` };
  }
  return {
    ok: false,
    reply: `there is no completed training run for ${pull.headSha.slice(0, 7)} yet; \`/train\` starts one. (\`no-training-run\`)`,
  };
}
