import { matchesPaths, trainingPaths } from "../../core/bot/matches-paths.ts";
import type { BotEnv } from "../bot-event.ts";
import { dispatchTraining, TRAIN_CHECK_NAME } from "../dispatch-training.ts";
import { CONFIG_PATH } from "../load-repo-config.ts";
import { firstLocatedProblem, renderConfigProblems, repoConfig } from "../repo-config.ts";

export type PullRequestPayload = { pull_request: { number: number; head: { sha: string } } };

/**
 * `pull_request.opened|reopened|synchronize`: when `github.trainOnPush` is on and the PR touches
 * the training paths, dispatch training once per head commit. A broken config fails the check
 * with its file:line:column instead of silently doing nothing.
 */
export async function handlePullRequestUpdated(env: BotEnv, payload: PullRequestPayload): Promise<void> {
  const { gh } = env;
  const headSha = payload.pull_request.head.sha;
  const loaded = await repoConfig(gh);
  if (!loaded.ok) {
    if (loaded.reason === "config-missing") return;
    const first = firstLocatedProblem(loaded.problems);
    const existing = await gh.listCheckRuns(headSha, TRAIN_CHECK_NAME);
    if (existing.some((c) => c.externalId === "config-invalid")) return;
    await gh.createCheckRun({
      name: TRAIN_CHECK_NAME,
      headSha,
      externalId: "config-invalid",
      status: "completed",
      conclusion: "failure",
      output: {
        title: "Invalid .github/modelship.yml",
        summary: renderConfigProblems(loaded),
        annotations: [
          {
            path: CONFIG_PATH,
            start_line: first.line,
            end_line: first.line,
            annotation_level: "failure",
            title: "Invalid config",
            message: first.message.slice(0, 4000),
          },
        ],
      },
    });
    return;
  }
  const config = loaded.config;
  if (!config.github.trainOnPush) return;
  const pull = await gh.pull(payload.pull_request.number);
  // The event may be stale: act on the head as it is now.
  if (pull.headSha !== headSha) return;
  const files = await gh.pullFiles(pull.number);
  if (!matchesPaths(files, trainingPaths(config))) {
    env.log.info({ pr: pull.number }, "no training paths touched");
    return;
  }
  const result = await dispatchTraining({ gh, config, pull, params: {}, trigger: "push", nonce: "push" });
  if (
    result.outcome === "refused" &&
    (result.reason === "fork-not-allowed" || result.reason === "fork-needs-approval")
  ) {
    const existing = await gh.listCheckRuns(pull.headSha, TRAIN_CHECK_NAME);
    if (existing.some((c) => c.externalId === result.reason)) return;
    await gh.createCheckRun({
      name: TRAIN_CHECK_NAME,
      headSha: pull.headSha,
      externalId: result.reason,
      status: "completed",
      conclusion: "neutral",
      output: {
        title: "Not trained: pull request from a fork",
        summary: `Modelship did not train this commit: ${result.message}`,
      },
    });
  }
}
