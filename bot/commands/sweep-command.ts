import type { Command } from "../../core/commands/validate-command.ts";
import type { BotEnv } from "../bot-event.ts";
import { refused, type CommandInput, type Outcome } from "./command-outcome.ts";

/** The study a pull request's `/sweep` commands grow: one per model and pull request. */
export function pullStudyName(model: string, pr: number): string {
  return `${model}-pr${pr}`;
}

/**
 * `/sweep N`: dispatches the sweep workflow on the pull request's branch to run N more trials of
 * the pull request's study; the workflow's `tell` job posts the study table on the pull request.
 * Pull requests from forks are refused: the matrix runs on self-hosted runners, and a dispatched
 * workflow runs a branch of this repository, never a fork's. The App's 🚀 on the comment, put
 * there before dispatching, records that it was dispatched: the same comment delivered again
 * dispatches nothing.
 */
export async function runSweep(
  env: BotEnv,
  input: CommandInput<Extract<Command, { name: "sweep" }>>,
): Promise<Outcome> {
  const { gh } = env;
  const { config, command, pr } = input;
  const pull = await gh.pull(pr);
  if (pull.state !== "open") {
    return refused({ reason: "pr-closed", message: "the pull request is closed; reopen it to run a sweep." });
  }
  if (pull.fromFork) {
    return refused({
      reason: "fork-not-allowed",
      message:
        "sweeps run on this repository's self-hosted runners from one of its branches; a pull request from a fork cannot start one.",
    });
  }
  const study = pullStudyName(config.model.name, pr);
  const workflow = config.github.sweepWorkflow;
  // One dispatch per comment, even when GitHub delivers it again under a new delivery id.
  const unclaim = await gh.claimComment(input.commentId);
  if (!unclaim) {
    env.log.info({ comment: input.commentId, study }, "/sweep comment already dispatched; not again");
    return { ok: true };
  }
  try {
    await gh.dispatchWorkflow(workflow, pull.headRef, {
      study,
      trials: String(command.trials),
      pr: String(pr),
      ...(command.sampler ? { sampler: command.sampler } : {}),
      ...(command.pruner ? { pruner: command.pruner } : {}),
    });
  } catch (err) {
    await unclaim();
    return refused({
      reason: "dispatch-failed",
      message: `the sweep workflow \`${workflow}\` could not be dispatched: ${(err as Error).message.slice(0, 300)}`,
    });
  }
  const how = [command.sampler, command.pruner && `pruner ${command.pruner}`].filter(Boolean).join(", ");
  return {
    ok: true,
    reply: `started ${command.trials} trial(s) of study \`${study}\`${how ? ` (${how})` : ""} on \`${pull.headRef}\` with \`${workflow}\`. The study table appears here when they finish.`,
  };
}
