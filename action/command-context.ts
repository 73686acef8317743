import { resolve } from "node:path";
import { loadConfig } from "../adapters/config/load-config.ts";
import type { Config } from "../core/config/schema.ts";
import { ModelshipError } from "../core/errors.ts";
import type { ActionContext } from "./read-action-context.ts";
import type { ActionInputs } from "./inputs.ts";

/** What every command receives: validated inputs, the workflow run, and the outside world as values. */
export type CommandContext = {
  inputs: ActionInputs;
  action: ActionContext;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  log: (line: string) => void;
};

/** Loads the config relative to the workspace; the `model` input overrides model.name. */
export async function loadActionConfig(
  ctx: CommandContext,
  opts: { required?: boolean } = {},
): Promise<Config> {
  const config = await loadConfig(resolve(ctx.action.workspace, ctx.inputs.config), opts);
  return ctx.inputs.model ? { ...config, model: { ...config.model, name: ctx.inputs.model } } : config;
}

/** The token, or a located error saying how to pass one. */
export function requireToken(ctx: CommandContext, why: string): string {
  const token = ctx.inputs["github-token"] ?? ctx.env["GITHUB_TOKEN"];
  if (!token) {
    throw new ModelshipError({
      code: "github-token-missing",
      message: `${ctx.inputs.command} needs a GitHub token to ${why}, and none was given`,
      hint: "Leave `github-token` at its default (`${{ github.token }}`) and grant the job the permissions Modelship's docs/action.md lists.",
    });
  }
  return token;
}

/** owner/repo of the workflow's repository, or an error outside a workflow run. */
export function requireRepository(ctx: CommandContext): { owner: string; repo: string } {
  if (!ctx.action.owner || !ctx.action.repo) {
    throw new ModelshipError({
      code: "repository-unknown",
      message: "GITHUB_REPOSITORY is not set, so the repository to talk to is unknown",
      hint: "Run the Action inside a GitHub Actions workflow (the runner sets GITHUB_REPOSITORY).",
    });
  }
  return { owner: ctx.action.owner, repo: ctx.action.repo };
}

const PULL_REQUEST_EVENTS = ["pull_request", "pull_request_target"];

/** Releases and deploys come from merged code only: a pull request's head is never promoted. */
export function refuseOnPullRequest(ctx: CommandContext): void {
  if (!PULL_REQUEST_EVENTS.includes(ctx.action.eventName)) return;
  throw new ModelshipError({
    code: "unmerged-code",
    message: `${ctx.inputs.command} does not run on ${ctx.action.eventName} events: it would promote code that is not merged`,
    hint: "Run register on push to the default branch (or after merge), and deploy on `deployment`; use `command: report` in pull requests.",
  });
}
