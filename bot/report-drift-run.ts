import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createCorrelationId, trainDispatchInputs } from "../core/bot/correlation-id.ts";
import { DRIFT_FILES, driftArtifactName, driftRunMarker, renderDriftIssue } from "../core/bot/drift-run.ts";
import type { Config } from "../core/config/schema.ts";
import { DriftJsonSchema, type DriftJson } from "../core/report/render-drift-json.ts";
import { driftIssueMarker } from "../core/report/render-drift-markdown.ts";
import type { BotEnv } from "./bot-event.ts";
import type { WorkflowRunInfo } from "./github-port.ts";

/** What the App did with one completed drift run. Closed set, logged. */
export type DriftRunOutcome =
  | { outcome: "issue-opened" | "issue-updated"; issue: number; retraining: "dispatched" | "off" | "failed" }
  | { outcome: "issue-closed"; issue: number }
  | { outcome: "no-drift" | "not-enough-data" | "already-reported" | "run-failed" }
  | { outcome: "report-unreadable"; message: string };

type DriftRunInput = {
  env: BotEnv;
  config: Config;
  environment: string;
  run: WorkflowRunInfo;
  /** The default branch (the drift run ran on it): retraining is dispatched there. */
  defaultBranch: string;
};

/**
 * Finishes a drift workflow run of the default branch: dataset drift opens or updates the ONE
 * issue of the model and environment with the report (and, with `monitoring.retrainOnDrift`,
 * dispatches the training workflow once per drift run); no drift closes that issue.
 */
export async function reportDriftRun(input: DriftRunInput): Promise<DriftRunOutcome> {
  const { env, config, environment, run } = input;
  if (run.conclusion !== "success") return { outcome: "run-failed" };
  const marker = driftIssueMarker(config.model.name, environment);
  const existing = await env.gh.findIssue(marker);
  if (existing?.body.includes(driftRunMarker(run.id))) return { outcome: "already-reported" };
  const read = await readDriftArtifact(env, run.id, environment);
  if (!read.ok) return { outcome: "report-unreadable", message: read.message };
  if (read.report.status === "not-enough-data") return { outcome: "not-enough-data" };
  if (!read.report.drift) {
    const closed = await env.gh.closeIssue(
      marker,
      `Drift run ${run.id} found no dataset drift in \`${environment}\` (${read.report.features.filter((f) => f.drifted).length} of ${read.report.features.length} features drifted); closing.`,
    );
    return closed === null ? { outcome: "no-drift" } : { outcome: "issue-closed", issue: closed };
  }
  const retraining = config.monitoring.retrainOnDrift ? await dispatchRetraining(input) : "off";
  const { title, body } = renderDriftIssue({
    model: config.model.name,
    environment,
    report: read.report,
    markdown: read.markdown,
    runId: run.id,
    runUrl: run.htmlUrl,
    retraining,
  });
  const issue = await env.gh.upsertIssue({ marker, title, body });
  return {
    outcome: issue.outcome === "opened" ? "issue-opened" : "issue-updated",
    issue: issue.number,
    retraining,
  };
}

async function readDriftArtifact(
  env: BotEnv,
  runId: number,
  environment: string,
): Promise<{ ok: true; report: DriftJson; markdown: string } | { ok: false; message: string }> {
  let report: DriftJson | undefined;
  const download = await env.gh.downloadArtifactFiles(
    runId,
    driftArtifactName(environment),
    await env.scratchDir(),
    async (dir) => {
      try {
        const parsed = DriftJsonSchema.safeParse(
          JSON.parse(await readFile(join(dir, DRIFT_FILES.json), "utf8")),
        );
        if (parsed.success) report = parsed.data;
        else
          return `${DRIFT_FILES.json} is not a drift report: ${parsed.error.issues[0]?.message ?? "invalid"}`;
        return undefined;
      } catch (err) {
        return `${DRIFT_FILES.json} cannot be read: ${(err as Error).message}`;
      }
    },
  );
  if (!download.ok || report === undefined)
    return { ok: false, message: download.ok ? "no report" : download.message };
  const markdown = await readFile(join(download.dir, DRIFT_FILES.markdown), "utf8").catch(() => "");
  return { ok: true, report, markdown };
}

/** Dispatches training on the default branch's commit the drift run checked, with trigger `drift`. */
async function dispatchRetraining(input: DriftRunInput): Promise<"dispatched" | "failed"> {
  const { env, config, run } = input;
  const correlationId = createCorrelationId({
    pr: null,
    headSha: run.headSha,
    nonce: String(run.id),
    kind: "drift",
  });
  try {
    await env.gh.dispatchWorkflow(
      config.github.trainWorkflow,
      input.defaultBranch,
      trainDispatchInputs({ pr: null, headSha: run.headSha, params: {}, correlationId, trigger: "drift" }),
    );
    return "dispatched";
  } catch (err) {
    env.log.warn({ err, runId: run.id }, "drift: the training workflow could not be dispatched");
    return "failed";
  }
}
