import { userInfo } from "node:os";
import { resolve } from "node:path";
import type { Command } from "commander";
import { exportMlflowFiles } from "../../adapters/runs/export-mlflow-files.ts";
import { exportMlflowRest } from "../../adapters/runs/export-mlflow-rest.ts";
import { resolveRun } from "../../adapters/runs/index-runs.ts";
import { readRunDir } from "../../adapters/run-dir/read-run-dir.ts";
import { ModelshipError } from "../../core/errors.ts";
import { matchRunFilter } from "../../core/runs/match-run-filter.ts";
import { parseRunFilter } from "../../core/runs/parse-run-filter.ts";
import type { RunEntry } from "../../core/runs/run-entry.ts";
import { toMlflowRun, type MlflowRun } from "../../core/runs/to-mlflow-run.ts";
import { emit } from "../shared/options.ts";
import { info, warn } from "../shared/output.ts";
import { openIndex, withRunsOptions, type RunsOptions } from "../shared/run-index.ts";

type ExportOptions = RunsOptions & {
  mlflow?: string;
  mlflowUri?: string;
  filter?: string;
  artifacts: boolean;
};

/** `modelship runs export --mlflow DIR | --mlflow-uri URL [RUN...]`. */
export function registerRunsExport(runs: Command): void {
  withRunsOptions(
    runs
      .command("export")
      .description(
        "Export runs to MLflow: its file-store layout (--mlflow DIR) or a tracking server (--mlflow-uri URL).",
      )
      .argument("[runs...]", "runs to export (default: every run, or those --filter selects)")
      .option(
        "--mlflow <dir>",
        "write MLflow's file store here (open with `mlflow ui --backend-store-uri DIR`)",
      )
      .option("--mlflow-uri <url>", "log to this MLflow tracking server through its REST API")
      .option("--filter <expr>", "export only the runs this search expression selects")
      .option(
        "--no-artifacts",
        "do not copy (file store) or upload (tracking server) the run files as artifacts",
      )
      .option("--json", "print what was exported as JSON"),
  ).action(async (refs: string[], opts: ExportOptions) => {
    if ((opts.mlflow === undefined) === (opts.mlflowUri === undefined)) {
      throw new ModelshipError({
        code: "option-invalid",
        message: "runs export needs exactly one of --mlflow DIR or --mlflow-uri URL",
        hint: "For example: modelship runs export --mlflow mlruns",
      });
    }
    const index = await openIndex(opts);
    const clauses = parseRunFilter(opts.filter ?? "");
    const chosen: RunEntry[] = [];
    if (refs.length > 0) for (const ref of refs) chosen.push(await resolveRun(index, ref));
    else chosen.push(...index.runs);
    const selected = chosen.filter((r) => matchRunFilter(r, clauses));
    const prepared: Array<{ run: MlflowRun; dir: string }> = [];
    for (const entry of selected) {
      const dir = resolve(index.workspace, entry.path);
      const run = toMlflowRun(entry, (await readRunDir(dir)).history);
      if (run.skippedKeys.length > 0)
        warn(`${entry.id}: left out names MLflow refuses: ${run.skippedKeys.join(", ")}`);
      prepared.push({ run, dir });
    }
    if (opts.mlflow !== undefined) {
      const root = resolve(opts.mlflow);
      const written = await exportMlflowFiles({
        root,
        runs: prepared.map((p) => ({ run: p.run, ...(opts.artifacts ? { artifactsDir: p.dir } : {}) })),
        now: new Date(),
        userId: userInfo().username,
      });
      info(
        `exported ${written.runs.length} run(s) to ${root}; view them with: mlflow ui --backend-store-uri ${root}`,
      );
      emit(opts.json, written, () =>
        written.runs.map((r) => `${r.runName} → ${r.experimentId}/${r.runId}\n`).join(""),
      );
      return;
    }
    const dirs = new Map(prepared.map((p) => [p.run, p.dir]));
    const logged = await exportMlflowRest(
      prepared.map((p) => p.run),
      {
        uri: opts.mlflowUri!,
        headers: trackingAuth(process.env),
        ...(opts.artifacts ? { artifactsDir: (run: MlflowRun) => dirs.get(run) } : {}),
      },
    );
    for (const r of logged)
      if (r.artifacts.skipped) warn(`${r.runName}: artifacts not uploaded: ${r.artifacts.skipped}`);
    emit(opts.json, { runs: logged }, () =>
      logged
        .map(
          (r) =>
            `${r.runName} → ${r.outcome === "exists" ? "already logged as" : "logged as"} ${r.experimentId}/${r.runId}\n`,
        )
        .join(""),
    );
  });
}

/** MLflow's own client variables: a bearer token, or a user name and password. */
function trackingAuth(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.MLFLOW_TRACKING_TOKEN) return { authorization: `Bearer ${env.MLFLOW_TRACKING_TOKEN}` };
  if (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD) {
    const basic = Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}`).toString(
      "base64",
    );
    return { authorization: `Basic ${basic}` };
  }
  return {};
}
