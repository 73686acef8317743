import * as core from "@actions/core";
import { ModelshipError } from "../core/errors.ts";
import type { CommandContext } from "./command-context.ts";
import { deployCommand, rollbackCommand } from "./commands/deploy.ts";
import { abReportCommand } from "./commands/ab-report.ts";
import { driftCommand } from "./commands/drift.ts";
import { registerCommand } from "./commands/register.ts";
import { reportCommand } from "./commands/report.ts";
import { sweepBestCommand, sweepPlanCommand } from "./commands/sweep.ts";
import { sweepTellCommand } from "./commands/sweep-study.ts";
import { trainCommand } from "./commands/train.ts";
import { dataValidateCommand } from "./commands/data-validate.ts";
import { validateCommand } from "./commands/validate.ts";
import { parseActionInputs, type ActionCommand } from "./inputs.ts";
import { errorOutcome, type ActionOutcome } from "./outcome.ts";
import { publishOutcome } from "./publish-outcome.ts";
import { readActionContext } from "./read-action-context.ts";

const COMMANDS: Record<ActionCommand, (ctx: CommandContext) => Promise<ActionOutcome>> = {
  validate: validateCommand,
  "data-validate": dataValidateCommand,
  report: reportCommand,
  register: registerCommand,
  train: trainCommand,
  deploy: deployCommand,
  rollback: rollbackCommand,
  "sweep-plan": sweepPlanCommand,
  "sweep-tell": sweepTellCommand,
  "sweep-best": sweepBestCommand,
  "ab-report": abReportCommand,
  drift: driftCommand,
};

/** The Action: parse inputs, run one command, and publish its outcome through the one exit path. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let command = core.getInput("command") || "modelship";
  let workspace = env["GITHUB_WORKSPACE"] ?? process.cwd();
  let outcome: ActionOutcome;
  try {
    const inputs = parseActionInputs((name) => core.getInput(name));
    command = inputs.command;
    const action = await readActionContext(env);
    workspace = action.workspace;
    if (inputs["github-token"]) core.setSecret(inputs["github-token"]);
    outcome = await COMMANDS[inputs.command]({
      inputs,
      action,
      env,
      now: () => new Date(),
      log: (line) => core.info(line),
    });
  } catch (err) {
    if (!(err instanceof ModelshipError))
      core.debug(err instanceof Error ? (err.stack ?? err.message) : String(err));
    outcome = errorOutcome(err, { command, workspace });
  }
  try {
    await publishOutcome(core, outcome);
  } catch (err) {
    core.setFailed(
      `modelship: could not publish the outcome: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
