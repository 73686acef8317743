import { correlationFromRun, type Correlation, type RetrainKind } from "../../core/bot/correlation-id.ts";
import type { Config } from "../../core/config/schema.ts";
import type { BotEnv } from "../bot-event.ts";
import { TRAIN_CHECK_NAME } from "../dispatch-training.ts";
import type { WorkflowRunInfo } from "../github-port.ts";
import { parseDriftRunName } from "../../core/bot/drift-run.ts";
import { reportDriftRun } from "../report-drift-run.ts";
import { reportRetrainingRun } from "../report-retraining-run.ts";
import { reportTrainingRun } from "../report-training-run.ts";
import { renderConfigProblems, repoConfig } from "../repo-config.ts";

export type WorkflowRunPayload = {
  action: string;
  workflow_run: {
    id: number;
    display_title?: string;
    path?: string;
    event?: string;
    status: string | null;
    conclusion: string | null;
    html_url: string;
    head_sha: string;
    head_branch?: string | null;
  };
  repository?: { default_branch?: string };
};

/**
 * The training workflow's runs, found by the correlation id in their title (or, for a cron run,
 * derived from the run like the workflow derives it): requested or in progress moves the check to
 * in progress; completed reports on the PR, or for a retraining run on the candidate pull request
 * or the failure issue, and completes the check.
 */
export async function handleWorkflowRun(env: BotEnv, payload: WorkflowRunPayload): Promise<void> {
  const wr = payload.workflow_run;
  const drift = parseDriftRunName(wr.display_title ?? "");
  if (drift) {
    await handleDriftRun(env, payload, drift);
    return;
  }
  const correlation = correlationFromRun({
    displayTitle: wr.display_title ?? "",
    event: wr.event,
    headSha: wr.head_sha,
    runId: wr.id,
  });
  if (!correlation) return;
  const { gh } = env;
  const loaded = await repoConfig(gh);
  if (!loaded.ok) {
    const check = (await gh.listCheckRuns(correlation.headSha, TRAIN_CHECK_NAME)).find(
      (c) => c.externalId === correlation.id,
    );
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
  if (!isTrainWorkflow(wr.path, config)) return;
  const checks = await gh.listCheckRuns(correlation.headSha, TRAIN_CHECK_NAME);
  const check = checks.find((c) => c.externalId === correlation.id);
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
  const run: WorkflowRunInfo = {
    id: wr.id,
    displayTitle: wr.display_title ?? "",
    status: wr.status,
    conclusion: wr.conclusion,
    htmlUrl: wr.html_url,
    headSha: wr.head_sha,
  };
  const common = { env, config, configText: loaded.text, run };
  if (isRetraining(correlation)) {
    const defaultBranch = payload.repository?.default_branch;
    await reportRetrainingRun({
      ...common,
      correlation,
      // Only a run of the default branch's own commit may become a candidate (never a PR head).
      onDefaultBranch:
        defaultBranch !== undefined &&
        wr.head_branch === defaultBranch &&
        wr.head_sha === correlation.headSha,
    });
    return;
  }
  await reportTrainingRun({ ...common, correlation });
}

function isTrainWorkflow(path: string | undefined, config: Config): boolean {
  const file = config.github.trainWorkflow;
  return !path || path === file || path.endsWith(`/${file}`);
}

function isRetraining(c: Correlation): c is Correlation & { kind: RetrainKind } {
  return c.kind !== "pr";
}

/**
 * A completed run of the drift workflow (`modelship drift <model> <environment>`) on the default
 * branch: its report becomes the drift issue, and maybe a retraining dispatch.
 */
async function handleDriftRun(
  env: BotEnv,
  payload: WorkflowRunPayload,
  drift: { model: string; environment: string },
): Promise<void> {
  const wr = payload.workflow_run;
  const defaultBranch = payload.repository?.default_branch;
  if (payload.action !== "completed" || defaultBranch === undefined || wr.head_branch !== defaultBranch)
    return;
  const loaded = await repoConfig(env.gh);
  if (!loaded.ok || loaded.config.model.name !== drift.model) return;
  const file = loaded.config.monitoring.drift.workflow;
  if (wr.path && wr.path !== file && !wr.path.endsWith(`/${file}`)) return;
  const outcome = await reportDriftRun({
    env,
    config: loaded.config,
    environment: drift.environment,
    defaultBranch,
    run: {
      id: wr.id,
      displayTitle: wr.display_title ?? "",
      status: wr.status,
      conclusion: wr.conclusion,
      htmlUrl: wr.html_url,
      headSha: wr.head_sha,
    },
  });
  env.log.info({ runId: wr.id, ...drift, ...outcome }, `drift run: ${outcome.outcome}`);
}
