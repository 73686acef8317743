import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { Option, type Command } from "commander";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import type { Comparison } from "../../core/compare/compare-runs.ts";
import { renderComparisonJson } from "../../core/report/render-json.ts";
import { renderComparisonMarkdown } from "../../core/report/render-markdown.ts";
import { renderComparisonText } from "../../core/report/render-text.ts";
import { compareCandidate } from "../../adapters/compare/compare-candidate.ts";
import { loadCommonConfig, withCommonOptions, type CommonOptions } from "../shared/options.ts";

export type ReportFormat = "text" | "markdown" | "json";

/** Renders a comparison in one of the three report formats. */
export function renderReport(c: Comparison, format: ReportFormat, modelName: string): string {
  if (format === "json") return renderComparisonJson(c, { modelName });
  if (format === "markdown") return renderComparisonMarkdown(c, { modelName });
  return renderComparisonText(c, { modelName });
}

/** `modelship compare RUN_DIR`: candidate vs baseline with gates; exits 1 when a gate fails. */
export function register(program: Command): void {
  withCommonOptions(
    program
      .command("compare")
      .description("Compare a run with a baseline (default: the production version) and evaluate the gates.")
      .argument("<run-dir>", "candidate run directory")
      .option(
        "-b, --baseline <ref>",
        "run directory, version, `latest` or alias (default: production, then latest)",
      )
      .addOption(
        new Option("-f, --format <format>", "output format")
          .choices(["text", "markdown", "json"])
          .default("text"),
      )
      .addOption(new Option("--json", "print the report as JSON (same as --format json)").conflicts("format"))
      .option("-o, --output <file>", "also write the Markdown report to this file (e.g. a job summary)"),
  ).action(
    async (
      runDir: string,
      opts: CommonOptions & { baseline?: string; format: ReportFormat; json?: boolean; output?: string },
    ) => {
      const { config, repoDir } = await loadCommonConfig(opts);
      const registry = await openGitRegistry({ repoDir, tagFormat: config.registry.tagFormat });
      const { comparison } = await compareCandidate({
        config,
        registry,
        repoDir,
        runDir,
        ...(opts.baseline ? { baselineRef: opts.baseline } : {}),
      });
      const format = opts.json ? "json" : opts.format;
      process.stdout.write(`${renderReport(comparison, format, config.model.name).trimEnd()}\n`);
      if (opts.output) {
        await mkdir(dirname(opts.output), { recursive: true });
        await writeFile(opts.output, renderComparisonMarkdown(comparison, { modelName: config.model.name }));
      }
      if (!comparison.passed) process.exitCode = 1;
    },
  );
}
