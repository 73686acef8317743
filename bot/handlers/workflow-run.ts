import { correlationFromRunName } from "../../core/bot/correlation-id.ts";
import type { BotEnv } from "../bot-event.ts";
import { TRAIN_CHECK_NAME } from "../dispatch-training.ts";
import { reportTrainingRun } from "../report-training-run.ts";
import { renderConfigProblems, repoConfig } from "../repo-config.ts";

export type WorkflowRunPayload = {
  action: string;
  workflow_run: {
    id: number;
    display_title?: string;
    path?: string;
    status: string | null;
    conclusion: string | null;
    html_url: string;
    head_sha: string;
  };
};

/**
 * The training workflow's runs, found by the correlation id in their title: requested or in
 * progress moves the check to in progress; completed reports on the PR and completes the check.
 */
export async function handleWorkflowRun(env: BotEnv, payload: WorkflowRunPayload): Promise<void> {
  const wr = payload.workflow_run;
  const correlation = correlationFromRunName(wr.display_title ?? "");
  if (!correlation) return;
  const { gh } = env;
  const loaded = await repoConfig(gh);
  const checks = await gh.listCheckRuns(correlation.headSha, TRAIN_CHECK_NAME);
  const check = checks.find((c) => c.externalId === correlation.id);
  if (!loaded.ok) {
    if (check && payload.action === "completed") {
      await gh.updateCheckRun(check.id, {
        status: "completed",
        conclusion: "failure",
        output: { title: "Invalid .github/modelship.yml", summary: renderConfigProblems(loaded) },
      });
    }
    return;
  }
  const config = loaded.config;
  if (
    wr.path &&
    !wr.path.endsWith(`/${config.github.trainWorkflow}`) &&
    wr.path !== config.github.trainWorkflow
  )
    return;
  if (payload.action !== "completed") {
    if (check && check.status !== "completed") {
      await gh.updateCheckRun(check.id, { status: "in_progress", detailsUrl: wr.html_url });
    }
    return;
  }
  if (check?.status === "completed" && check.detailsUrl === wr.html_url) {
    // Already reported (a redelivery, or another replica); reporting again would only repeat it.
    return;
  }
  await reportTrainingRun({
    env,
    config,
    configText: loaded.text,
    correlation,
    run: {
      id: wr.id,
      displayTitle: wr.display_title ?? "",
      status: wr.status,
      conclusion: wr.conclusion,
      htmlUrl: wr.html_url,
      headSha: wr.head_sha,
    },
  });
}
