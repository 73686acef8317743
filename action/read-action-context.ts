import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { z } from "zod";
import { ModelshipError } from "../core/errors.ts";

/** The workflow run the Action is in, from the runner's environment and event payload. */
export type ActionContext = {
  workspace: string;
  /** RUNNER_TEMP, or the workspace's .modelship/tmp outside a runner. */
  tempDir: string;
  eventName: string;
  owner: string;
  repo: string;
  sha: string;
  ref: string;
  serverUrl: string;
  apiUrl: string;
  /** Link to this workflow run, when the runner says which run it is. */
  runUrl: string | undefined;
  /** The pull request the event is about (pull_request*, issue_comment on a PR, dispatch input pr_number). */
  pullRequest: number | undefined;
  /** `workflow_dispatch` inputs (empty for other events). */
  dispatchInputs: Record<string, unknown>;
  /** The GitHub Deployment that started this run (deployment events). */
  deployment: DeploymentEvent | undefined;
};

/** The parts of a `deployment` event the Action reads. */
export type DeploymentEvent = { id: number; environment: string; payload: unknown };

// Only the fields read here are checked; the rest of the payload passes through untouched.
const EventSchema = z.object({
  pull_request: z.object({ number: z.number().int().positive() }).optional(),
  issue: z.object({ number: z.number().int().positive(), pull_request: z.unknown().optional() }).optional(),
  inputs: z.record(z.string(), z.unknown()).nullable().optional(),
  deployment: z
    .object({ id: z.number().int().positive(), environment: z.string(), payload: z.unknown() })
    .optional(),
});

/** Reads GITHUB_* variables and the event payload at GITHUB_EVENT_PATH. */
export async function readActionContext(env: NodeJS.ProcessEnv): Promise<ActionContext> {
  const workspace = resolve(env["GITHUB_WORKSPACE"] ?? process.cwd());
  const [owner = "", repo = ""] = (env["GITHUB_REPOSITORY"] ?? "/").split("/");
  const serverUrl = (env["GITHUB_SERVER_URL"] ?? "https://github.com").replace(/\/$/, "");
  const eventName = env["GITHUB_EVENT_NAME"] ?? "";
  let event: z.infer<typeof EventSchema> = {};
  const eventPath = env["GITHUB_EVENT_PATH"];
  if (eventPath) {
    const text = await readFile(eventPath, "utf8").catch(() => null);
    const parsed = text === null ? null : EventSchema.safeParse(JSON.parse(text));
    if (parsed && !parsed.success) {
      throw new ModelshipError({
        code: "event-invalid",
        message: `the ${eventName} event payload at ${eventPath} is not what GitHub sends: ${parsed.error.issues[0]?.message ?? ""}`,
        where: { file: eventPath },
      });
    }
    if (parsed) event = parsed.data;
  }
  const runId = env["GITHUB_RUN_ID"];
  return {
    workspace,
    tempDir: env["RUNNER_TEMP"] ? resolve(env["RUNNER_TEMP"]) : resolve(workspace, ".modelship", "tmp"),
    eventName,
    owner,
    repo,
    sha: env["GITHUB_SHA"] ?? "",
    ref: env["GITHUB_REF"] ?? "",
    serverUrl,
    apiUrl: (env["GITHUB_API_URL"] ?? "https://api.github.com").replace(/\/$/, ""),
    runUrl:
      runId && owner && repo
        ? `${serverUrl}/${owner}/${repo}/actions/runs/${runId}${env["GITHUB_RUN_ATTEMPT"] && env["GITHUB_RUN_ATTEMPT"] !== "1" ? `/attempts/${env["GITHUB_RUN_ATTEMPT"]}` : ""}`
        : undefined,
    pullRequest: pullRequestOf(event),
    dispatchInputs: event.inputs ?? {},
    deployment: event.deployment,
  };
}

function pullRequestOf(event: z.infer<typeof EventSchema>): number | undefined {
  if (event.pull_request) return event.pull_request.number;
  if (event.issue?.pull_request) return event.issue.number;
  const fromInput = event.inputs?.["pr_number"];
  if (typeof fromInput === "string" && /^[1-9][0-9]{0,9}$/.test(fromInput)) return Number(fromInput);
  return undefined;
}
