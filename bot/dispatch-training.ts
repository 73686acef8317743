import { createCorrelationId, trainDispatchInputs, type TrainTrigger } from "../core/bot/correlation-id.ts";
import type { Config } from "../core/config/schema.ts";
import { renderTrainParamsText } from "../core/bot/train-params-text.ts";
import type { TrainValue } from "../core/commands/validate-command.ts";
import type { BotGitHub, PullInfo } from "./github-port.ts";

export { TRAIN_CHECK_NAME } from "../adapters/github/check-runs.ts";
import { TRAIN_CHECK_NAME } from "../adapters/github/check-runs.ts";

/** Why a dispatch did not happen. Closed set, shown to users. */
export type DispatchRefusal =
  "pr-closed" | "fork-not-allowed" | "fork-needs-approval" | "head-moved" | "dispatch-failed";

export type DispatchResult =
  | { outcome: "dispatched"; correlationId: string; checkRunId: number; headSha: string }
  | { outcome: "already-dispatched"; correlationId: string; headSha: string }
  | { outcome: "refused"; reason: DispatchRefusal; message: string };

/**
 * Dispatches the training workflow for a PR's head commit, exactly once per `nonce`: the check
 * run `modelship/train` (external id = correlation id) is the record that it happened. The head
 * is read again just before dispatching, and the dispatch stops when it moved.
 */
export async function dispatchTraining(input: {
  gh: BotGitHub;
  config: Config;
  pull: PullInfo;
  params: Record<string, TrainValue>;
  trigger: TrainTrigger;
  nonce: string;
}): Promise<DispatchResult> {
  const { gh, config, pull } = input;
  if (pull.state !== "open") {
    return {
      outcome: "refused",
      reason: "pr-closed",
      message: "the pull request is closed; reopen it to train.",
    };
  }
  if (pull.fromFork) {
    if (!config.github.allowForks) {
      return {
        outcome: "refused",
        reason: "fork-not-allowed",
        message:
          "training is off for pull requests from forks: the training workflow runs on self-hosted runners, " +
          "which must not run code from forks. A maintainer can enable it with `github.allowForks: true` " +
          "(training is then bound to the reviewed head commit).",
      };
    }
    const approved = await gh.approvedReview(pull.number, pull.headSha);
    if (approved !== true) {
      return {
        outcome: "refused",
        reason: "fork-needs-approval",
        message: `pull requests from forks train only after an approving review of the head commit ${pull.headSha.slice(0, 7)}.`,
      };
    }
  }
  const correlationId = createCorrelationId({ pr: pull.number, headSha: pull.headSha, nonce: input.nonce });
  const existing = await gh.listCheckRuns(pull.headSha, TRAIN_CHECK_NAME);
  if (existing.some((c) => c.externalId === correlationId)) {
    return { outcome: "already-dispatched", correlationId, headSha: pull.headSha };
  }
  const now = await gh.pull(pull.number);
  if (now.headSha !== pull.headSha) {
    return {
      outcome: "refused",
      reason: "head-moved",
      message: `the head moved from ${pull.headSha.slice(0, 7)} to ${now.headSha.slice(0, 7)} while preparing; ask again for the new commit.`,
    };
  }
  // A job whose runner labels no online runner carries waits in the queue without a word: say so.
  const runners = await gh.runnerLabels(config.train.runner.labels);
  const queueWarning =
    runners.status === "none-online"
      ? `\n\n⚠️ No online self-hosted runner carries the labels ${config.train.runner.labels.map((l) => `\`${l}\``).join(", ")} (\`train.runner.labels\`): the job will wait in the queue until one comes online.${runners.offline.length ? ` Offline runners that match: ${runners.offline.map((r) => `\`${r.name}\``).join(", ")}.` : ""}`
      : "";
  const checkRunId = await gh.createCheckRun({
    name: TRAIN_CHECK_NAME,
    headSha: pull.headSha,
    externalId: correlationId,
    status: "queued",
    output: {
      title: runners.status === "none-online" ? "Training queued: no runner online" : "Training queued",
      summary: `Training dispatched (${input.trigger}) for ${pull.headSha.slice(0, 7)} with ${describeParams(input.params)}.${queueWarning}`,
      text: renderTrainParamsText(input.params),
    },
  });
  try {
    await gh.dispatchWorkflow(
      config.github.trainWorkflow,
      // A fork's branch is not in this repository: run the base branch's workflow on the head SHA.
      pull.fromFork ? pull.baseRef : pull.headRef,
      trainDispatchInputs({
        pr: pull.number,
        headSha: pull.headSha,
        params: input.params,
        correlationId,
        trigger: input.trigger,
      }),
    );
  } catch (err) {
    const message = `the training workflow \`${config.github.trainWorkflow}\` could not be dispatched: ${(err as Error).message.slice(0, 300)}`;
    await gh.updateCheckRun(checkRunId, {
      status: "completed",
      conclusion: "failure",
      output: { title: "Dispatch failed", summary: message },
    });
    return { outcome: "refused", reason: "dispatch-failed", message };
  }
  return { outcome: "dispatched", correlationId, checkRunId, headSha: pull.headSha };
}

function describeParams(params: Record<string, TrainValue>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return "the configured parameters";
  return entries.map(([k, v]) => `\`${k}=${String(v)}\``).join(", ");
}
