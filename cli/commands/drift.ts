import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { materializeCached, requireVersion } from "../../adapters/compare/baseline.ts";
import {
  driftReportPath,
  readDeployState,
  writeFileAtomic,
} from "../../adapters/deploy-local/deploy-state-file.ts";
import { renderDriftMetrics } from "../../adapters/monitoring/drift-metrics.ts";
import { readFeatureRows } from "../../adapters/monitoring/read-feature-rows.ts";
import { predictionLogDir, readPredictionLog } from "../../adapters/monitoring/read-prediction-log.ts";
import { readReferenceProfile } from "../../adapters/monitoring/read-reference-profile.ts";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { detectDrift } from "../../core/monitoring/detect-drift.ts";
import type { ReferenceProfile } from "../../core/monitoring/reference-profile.ts";
import { driftJson } from "../../core/report/render-drift-json.ts";
import { renderDriftMarkdown } from "../../core/report/render-drift-markdown.ts";
import { renderDriftText } from "../../core/report/render-drift-text.ts";
import { deployStateDir } from "../shared/deployment.ts";
import { loadCommonConfig, withCommonOptions, type CommonOptions } from "../shared/options.ts";
import { info, warn } from "../shared/output.ts";

type DriftOptions = CommonOptions & {
  env?: string;
  current?: string;
  reference?: string;
  predictionColumn?: string;
  since?: string;
  minRows?: string;
  psi?: boolean;
  json?: boolean;
  markdown?: string;
  metricsFile?: string;
};

/** `modelship drift`: current data against the training reference; exits 1 when the dataset drifted. */
export function register(program: Command): void {
  withCommonOptions(
    program
      .command("drift")
      .description(
        "Compare current data (an environment's prediction log, or a file of feature rows) with the model's training reference; exit 1 on dataset drift.",
      )
      .option("-e, --env <name>", "read the prediction log of this environment (default: deploy.environment)")
      .option("--current <file>", "CSV, JSON or JSON-lines file of feature rows instead of a prediction log")
      .option(
        "--reference <ref>",
        "run directory, version, `latest` or alias (default: the version live in the environment, else the alias named after it)",
      )
      .option("--prediction-column <name>", "with --current: the column that holds the model's answers")
      .option(
        "--since <time>",
        "with the prediction log: only requests answered at or after this ISO 8601 time",
      )
      .option(
        "--min-rows <n>",
        "fewer current rows is 'not enough data' (default: monitoring.drift.minRows, 100)",
      )
      .option("--psi", "compare every column with the population stability index (reference deciles) instead")
      .option("--json", "print the report as JSON")
      .option("--markdown <file>", "also write the Markdown report (tables and charts) to this file")
      .option(
        "--metrics-file <file>",
        "also write the drift gauges in Prometheus text format (node_exporter textfile)",
      ),
  ).action(async (opts: DriftOptions) => {
    if (opts.env !== undefined && opts.current !== undefined)
      throw usage("--env and --current both name the current data; give one of them");
    const minRows = parseMinRows(opts.minRows);
    const since = parseSince(opts.since);
    const { config, repoDir } = await loadCommonConfig(opts);
    const env = opts.env ?? config.deploy.environment;
    const reference = await resolveReference({ config, repoDir, env, ref: opts.reference });
    const current = opts.current
      ? await currentFromFile(opts.current, opts.predictionColumn)
      : await currentFromLog({ repoDir, env, config, profile: reference.profile, since });
    const report = detectDrift({
      profile: reference.profile,
      rows: current.rows,
      ...(current.answers ? { predictions: current.answers } : {}),
      options: {
        minRows: minRows ?? config.monitoring.drift.minRows,
        datasetShare: config.monitoring.drift.datasetShare,
        psi: opts.psi === true,
      },
    });
    const subject = { model: config.model.name, current: current.label, reference: reference.label };
    process.stdout.write(
      opts.json ? `${JSON.stringify(driftJson(report), null, 2)}\n` : renderDriftText(report, subject),
    );
    // The environment's latest verdict, which `modelship ui` shows next to the live deployment.
    if (!opts.current) {
      const latest = { ...driftJson(report), at: new Date().toISOString(), reference: reference.label };
      await writeFileAtomic(
        driftReportPath(deployStateDir(repoDir), env),
        `${JSON.stringify(latest, null, 2)}\n`,
      );
    }
    if (opts.markdown) {
      await mkdir(dirname(resolve(opts.markdown)), { recursive: true });
      await writeFile(opts.markdown, renderDriftMarkdown(report, subject));
    }
    if (opts.metricsFile) {
      const text = await renderDriftMetrics({
        report,
        model: config.model.name,
        environment: env,
        now: new Date(),
      });
      await writeFileAtomic(resolve(opts.metricsFile), text);
    }
    if (report.drift) process.exitCode = 1;
  });
}

type Reference = { profile: ReferenceProfile; label: string };

/** The profile to compare with: a directory, a registry reference, or what the environment serves. */
async function resolveReference(o: {
  config: Config;
  repoDir: string;
  env: string;
  ref: string | undefined;
}): Promise<Reference> {
  if (o.ref !== undefined && (await isDirectory(o.ref))) {
    return { profile: await readReferenceProfile(resolve(o.ref)), label: o.ref };
  }
  const name = o.config.model.name;
  const registry = await openGitRegistry({ repoDir: o.repoDir, tagFormat: o.config.registry.tagFormat });
  let ref = o.ref;
  if (ref === undefined) {
    const state = await readDeployState(deployStateDir(o.repoDir), o.env, new Date());
    ref = state.active?.version ?? o.env;
    info(
      `reference: ${state.active ? `v${ref}, live in ${o.env}` : `the ${o.env} alias (nothing live in ${o.env})`}`,
    );
  }
  const version = await requireVersion(registry, name, ref);
  const dir = await materializeCached(registry, o.repoDir, version);
  return { profile: await readReferenceProfile(dir), label: `v${version.version}` };
}

type Current = { rows: Array<Record<string, unknown>>; answers?: unknown[]; label: string };

async function currentFromFile(file: string, predictionColumn: string | undefined): Promise<Current> {
  const data = await readFeatureRows(resolve(file));
  if (predictionColumn !== undefined && !data.columns.includes(predictionColumn)) {
    throw usage(
      `--prediction-column '${predictionColumn}' is not a column of ${file}`,
      `Columns are: ${data.columns.join(", ")}.`,
    );
  }
  return {
    rows: data.rows,
    ...(predictionColumn ? { answers: data.rows.map((r) => r[predictionColumn] ?? null) } : {}),
    label: file,
  };
}

async function currentFromLog(o: {
  repoDir: string;
  env: string;
  config: Config;
  profile: ReferenceProfile;
  since: Date | undefined;
}): Promise<Current> {
  const dir = predictionLogDir(deployStateDir(o.repoDir), o.env);
  const log = await readPredictionLog({
    dir,
    model: o.config.model.name,
    ...(o.since ? { since: o.since } : {}),
    ...(o.profile.prediction?.labels ? { labels: o.profile.prediction.labels } : {}),
  });
  if (log.files === 0) warn(`no prediction log in ${dir}: is the environment serving with logging on?`);
  if (log.skippedLines > 0)
    warn(`${log.skippedLines} lines of the prediction log are not prediction records and were skipped`);
  if (log.summarised > 0)
    info(
      `${log.summarised} client requests were logged as summaries only (bodies over monitoring.maxRecordKB)`,
    );
  info(
    `prediction log: ${log.records.client} client requests (${log.rows.length} rows) compared; ${log.records.shadow} shadow and ${log.records.smoke} smoke requests left out`,
  );
  return { rows: log.rows, answers: log.answers, label: `${o.env} (prediction log)` };
}

function parseSince(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw usage(`--since '${text}' is not a time`, "Use ISO 8601, e.g. 2026-03-01T00:00:00Z.");
  return new Date(t);
}

function parseMinRows(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(text.trim()))
    throw usage(`--min-rows must be a positive integer, got '${text}'`);
  return Number(text);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

function usage(message: string, hint?: string): ModelshipError {
  return new ModelshipError({ code: "option-invalid", message, ...(hint ? { hint } : {}) });
}
