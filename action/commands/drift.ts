import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { driftReportPath, writeFileAtomic } from "../../adapters/deploy-local/deploy-state-file.ts";
import { checkDrift } from "../../adapters/monitoring/check-drift.ts";
import { DRIFT_FILES } from "../../core/bot/drift-run.ts";
import type { DriftReport } from "../../core/monitoring/detect-drift.ts";
import { driftJson } from "../../core/report/render-drift-json.ts";
import { renderDriftMarkdown } from "../../core/report/render-drift-markdown.ts";
import { loadActionConfig, type CommandContext } from "../command-context.ts";
import { openActionRegistry } from "../github-services.ts";
import { localStateDir } from "../local-target.ts";
import { workspaceRelative, type ActionOutcome } from "../outcome.ts";

export const DEFAULT_DRIFT_DIR = ".modelship/drift";

/**
 * `drift`: compares the environment's prediction log (on the serving host, under MODELSHIP_HOME)
 * or a `current` file with the training reference, writes drift.json and drift.md (the drift
 * workflow's artifact, which the App turns into the drift issue) and puts the report in the job
 * summary. Dataset drift fails the step only with `fail-on-drift: true`.
 */
export async function driftCommand(ctx: CommandContext): Promise<ActionOutcome> {
  const ws = ctx.action.workspace;
  const config = await loadActionConfig(ctx);
  const env = ctx.inputs.environment ?? config.deploy.environment;
  const { stateDir } = localStateDir(ctx);
  const { current, reference, since } = ctx.inputs;
  const { report, subject } = await checkDrift({
    config,
    registry: () => openActionRegistry(ctx, config),
    repoDir: ws,
    stateDir,
    env,
    ...(current !== undefined ? { current: { file: resolve(ws, current) } } : {}),
    ...(reference !== undefined
      ? { reference: looksLikePath(reference) ? resolve(ws, reference) : reference }
      : {}),
    ...(since ? { since } : {}),
    now: ctx.now(),
    info: ctx.log,
    warn: (line) => ctx.log(`warning: ${line}`),
  });
  const json = driftJson(report);
  const markdown = renderDriftMarkdown(report, {
    ...subject,
    current: workspaceRelative(subject.current, ws),
    reference: workspaceRelative(subject.reference, ws),
  });
  const dir = resolve(ws, ctx.inputs["run-dir"] ?? DEFAULT_DRIFT_DIR);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, DRIFT_FILES.json), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(dir, DRIFT_FILES.markdown), markdown);
  // As `modelship drift --env` does: the environment's latest verdict, shown by `modelship ui`.
  if (current === undefined) {
    const latest = { ...json, at: ctx.now().toISOString(), reference: subject.reference };
    await writeFileAtomic(driftReportPath(stateDir, env), `${JSON.stringify(latest, null, 2)}\n`);
  }
  const metricsFile = ctx.inputs["metrics-file"];
  if (metricsFile !== undefined) {
    // Loaded on demand: prom-client is only needed here.
    const { renderDriftMetrics } = await import("../../adapters/monitoring/drift-metrics.ts");
    const text = await renderDriftMetrics({
      report,
      model: config.model.name,
      environment: env,
      now: ctx.now(),
    });
    await writeFileAtomic(resolve(ws, metricsFile), text);
  }
  const gate = report.drift && ctx.inputs["fail-on-drift"];
  return {
    decision: gate ? "fail" : "pass",
    reasonCode: report.status === "drift" ? "dataset-drift" : report.status,
    message: `${config.model.name} in ${env}: ${headline(report)}`,
    outputs: {
      drift: String(report.drift),
      share: String(report.share),
      "report-path": workspaceRelative(join(dir, DRIFT_FILES.json), ws),
    },
    summary: markdown,
    annotations: gate
      ? [{ title: `Modelship drift: ${config.model.name} in ${env}`, message: headline(report) }]
      : [],
  };
}

function headline(r: DriftReport): string {
  if (r.status === "not-enough-data")
    return `not enough data (${r.rows.current} current rows, at least ${r.minRows} needed)`;
  const drifted = r.features.filter((f) => f.drifted).length;
  return `${r.drift ? "dataset drift" : "no dataset drift"}: ${drifted} of ${r.features.length} features drifted`;
}

function looksLikePath(ref: string): boolean {
  return ref.includes("/") || ref.startsWith(".");
}
