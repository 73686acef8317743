import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { driftReportPath, writeFileAtomic } from "../../adapters/deploy-local/deploy-state-file.ts";
import { checkDrift } from "../../adapters/monitoring/check-drift.ts";
import { renderDriftMetrics } from "../../adapters/monitoring/drift-metrics.ts";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import { ModelshipError } from "../../core/errors.ts";
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
    const { report, subject } = await checkDrift({
      config,
      registry: () => openGitRegistry({ repoDir, tagFormat: config.registry.tagFormat }),
      repoDir,
      stateDir: deployStateDir(repoDir),
      env,
      ...(opts.current
        ? {
            current: {
              file: opts.current,
              ...(opts.predictionColumn !== undefined ? { predictionColumn: opts.predictionColumn } : {}),
            },
          }
        : {}),
      ...(opts.reference !== undefined ? { reference: opts.reference } : {}),
      ...(since ? { since } : {}),
      ...(minRows !== undefined ? { minRows } : {}),
      psi: opts.psi === true,
      now: new Date(),
      info,
      warn,
    });
    process.stdout.write(
      opts.json ? `${JSON.stringify(driftJson(report), null, 2)}\n` : renderDriftText(report, subject),
    );
    // The environment's latest verdict, which `modelship ui` shows next to the live deployment.
    if (!opts.current) {
      const latest = { ...driftJson(report), at: new Date().toISOString(), reference: subject.reference };
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

function usage(message: string, hint?: string): ModelshipError {
  return new ModelshipError({ code: "option-invalid", message, ...(hint ? { hint } : {}) });
}
