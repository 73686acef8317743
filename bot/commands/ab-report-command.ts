import { parse } from "yaml";
import type { Command } from "../../core/commands/validate-command.ts";
import type { BotEnv } from "../bot-event.ts";
import { refused, type CommandInput, type Outcome } from "./command-outcome.ts";

/**
 * `/ab-report [env]`: the router that measures the variants runs on the serving host, out of
 * the App's reach, so the App dispatches the deploy workflow's `ab-report` job there; it reads
 * the router and creates or updates the one A/B report comment on this pull request.
 */
export async function runAbReport(
  env: BotEnv,
  input: CommandInput<Extract<Command, { name: "ab-report" }>>,
): Promise<Outcome> {
  const { gh } = env;
  const { config, command, pr } = input;
  const environment = command.environment;
  if (config.deploy.target !== "local") {
    return refused({
      reason: "target-not-local",
      message: `the A/B report reads the local router's per-variant statistics, but \`deploy.target\` is ${config.deploy.target}; read the variants from Prometheus or the Grafana dashboard instead`,
    });
  }
  const workflow = config.github.deployWorkflow;
  const text = await gh.readDefaultBranchFile(`.github/workflows/${workflow}`);
  if (text === null || !dispatchable(text)) {
    return refused({
      reason: text === null ? "deploy-workflow-missing" : "workflow-not-dispatchable",
      message: `\`.github/workflows/${workflow}\` ${text === null ? "is not on the default branch" : "has no `workflow_dispatch` trigger"}, so nothing on the serving host would read the report. Update it from \`modelship init\`'s template (its \`ab-report\` job)`,
    });
  }
  const ref = (await gh.pull(pr)).baseRef;
  try {
    await gh.dispatchWorkflow(workflow, ref, { environment, pr_number: String(pr) });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return refused({ reason: "dispatch-failed", message: `GitHub refused to start \`${workflow}\`: ${why}` });
  }
  return {
    ok: true,
    reply: `the A/B report of \`${environment}\` is on its way: \`${workflow}\` reads the router on the serving host and updates the A/B report comment on this pull request.`,
  };
}

/** Whether a workflow file declares a `workflow_dispatch` trigger (any YAML shape of `on`). */
function dispatchable(text: string): boolean {
  let on: unknown;
  try {
    on = (parse(text) as { on?: unknown } | null)?.on;
  } catch {
    return false;
  }
  if (typeof on === "string") return on === "workflow_dispatch";
  if (Array.isArray(on)) return on.includes("workflow_dispatch");
  return typeof on === "object" && on !== null && Object.hasOwn(on, "workflow_dispatch");
}
