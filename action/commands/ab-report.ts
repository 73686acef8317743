import { parseDeploymentPayload } from "../../core/bot/deployment-payload.ts";
import { loadActionConfig, type CommandContext } from "../command-context.ts";
import { publishAbReport } from "../ab-report-publish.ts";
import type { ActionOutcome } from "../outcome.ts";

/**
 * `ab-report`: reads the running router's per-variant latency, errors and ground-truth scores,
 * writes the A/B report (with its significance test and verdict) to the job summary and keeps one
 * A/B report comment on the pull request (the `pr` input, the event's, or the deployment's).
 * The reason code is the verdict: candidate-better, candidate-worse, not-significant, no-feedback.
 */
export async function abReportCommand(ctx: CommandContext): Promise<ActionOutcome> {
  const config = await loadActionConfig(ctx);
  const event = ctx.action.deployment;
  const environment = ctx.inputs.environment ?? event?.environment ?? config.deploy.environment;
  const fromDeployment = event ? (parseDeploymentPayload(event.payload)?.pr ?? null) : null;
  const pr = ctx.inputs.pr ?? ctx.action.pullRequest ?? fromDeployment;
  const { report, markdown, commentUrl } = await publishAbReport(ctx, { config, environment, pr });
  const verdict = report.verdict;
  return {
    decision: "pass",
    reasonCode: verdict.outcome,
    message: `${config.model.name} in ${environment}: ${verdict.message}`,
    outputs: {},
    summary: [
      "## Modelship · ab-report",
      "",
      markdown,
      commentUrl ? `\n---\nPull request #${pr}: A/B report comment ${commentUrl}\n` : "",
    ].join("\n"),
    annotations: [],
  };
}
