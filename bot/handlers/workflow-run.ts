import { beatsBaseline, candidateBranch, renderCandidateRecord } from "../../core/bot/candidate-pull.ts";
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
  const report = await reportTrainingRun({
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
  // A scheduled run that beats production becomes a pull request; merging it releases this run.
  if (correlation.pr === null && report.ok && beatsBaseline(report.comparison)) {
    const record = renderCandidateRecord({
      correlationId: correlation.id,
      workflowRunId: wr.id,
      workflowRunUrl: wr.html_url,
      runId: report.candidate.record.runId,
      headSha: correlation.headSha,
      dataFingerprint: report.candidate.record.data.fingerprint,
      baseline: report.baseline?.version ?? null,
      metrics: report.candidate.metrics,
    });
    await gh.openFilesPull({
      branch: candidateBranch(correlation.id),
      files: [record],
      message: `Record scheduled ${config.model.name} candidate ${correlation.id}`,
      title: `Release ${config.model.name}: scheduled training beats v${report.baseline?.version ?? "?"}`,
      body: [
        `The scheduled training run ${wr.html_url} on ${correlation.headSha.slice(0, 7)} beats the version in \`${config.deploy.environment}\`.`,
        "Merging this pull request releases and deploys exactly that run's artifact.",
        "",
        report.markdown,
      ]
        .join("\n")
        .slice(0, 60_000),
    });
  }
}
