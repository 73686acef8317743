import type { Context } from "probot";
import { httpStatus } from "../adapters/github/http-status.ts";
import { readInitTemplates } from "../adapters/init/read-templates.ts";
import { onboardingModelName } from "../core/bot/onboarding-model-name.ts";
import { ACTION_PLACEHOLDER, InitOptionsSchema } from "../core/init/init-options.ts";
import { renderInitFiles } from "../core/init/render-init-files.ts";
import { CONFIG_PATH } from "./load-repo-config.ts";
import { openFilesPull } from "./open-files-pull.ts";

export const ONBOARDING_BRANCH = "modelship/onboarding";

export type OnboardingResult =
  { outcome: "opened"; number: number } | { outcome: "skipped"; reason: "configured" | "branch-exists" };

/**
 * Opens the onboarding pull request in a repository without `.github/modelship.yml`: the starter
 * config and the workflow templates (what `modelship init` writes) on `modelship/onboarding`.
 */
export async function openOnboardingPull(
  octokit: Context["octokit"],
  opts: { owner: string; repo: string; action?: string },
): Promise<OnboardingResult> {
  const r = { owner: opts.owner, repo: opts.repo };
  try {
    await octokit.rest.repos.getContent({ ...r, path: CONFIG_PATH });
    return { outcome: "skipped", reason: "configured" };
  } catch (err) {
    if (httpStatus(err) !== 404) throw err;
  }
  const options = InitOptionsSchema.parse({
    model: onboardingModelName(opts.repo),
    runnerLabels: ["self-hosted", "gpu"],
    target: "local",
    action: opts.action ?? ACTION_PLACEHOLDER,
  });
  const files = renderInitFiles(await readInitTemplates(), options);
  return openFilesPull(octokit, {
    ...r,
    branch: ONBOARDING_BRANCH,
    files,
    message: "Add Modelship configuration and workflows",
    title: "Set up Modelship",
    body: [
      "This pull request adds a starter `.github/modelship.yml` and the Modelship workflows:",
      "",
      ...files.map((f) => `- \`${f.path}\``),
      "",
      "Point `data.source` at your data, check `train.runner.labels` names your self-hosted runners,",
      `and replace \`${ACTION_PLACEHOLDER}\` with the Modelship Action you use if it is still there.`,
      "Once merged, comment `/help` on any pull request to see the commands.",
    ].join("\n"),
  });
}
