import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { VALIDATION_FILE, type ValidationReport } from "../../core/data/expectations/validation-report.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import {
  renderValidationMarkdown,
  validationHeadline,
} from "../../core/report/render-validation-markdown.ts";
import {
  describeFailure,
  validateData,
  writeValidationReport,
} from "../../adapters/data-validation/validate-data.ts";
import { loadActionConfig, type CommandContext } from "../command-context.ts";
import { workspaceRelative, type ActionOutcome, type Annotation } from "../outcome.ts";
import { withoutCredentials } from "../resolve-cli.ts";

export const DEFAULT_VALIDATION_DIR = ".modelship/validation";

/**
 * `data-validate`: runs data.expectations on the checked-out data (on any runner: no native
 * runtime), writes `validation.json`, and fails with an annotation on each failed error-severity
 * expectation's line in the config.
 */
export async function dataValidateCommand(ctx: CommandContext): Promise<ActionOutcome> {
  const ws = ctx.action.workspace;
  const config = await loadActionConfig(ctx, { required: true });
  const configFile = resolve(ws, ctx.inputs.config);
  const shownConfig = workspaceRelative(configFile, ws);
  const { report, data } = await validateData({
    config,
    repoDir: ws,
    // The config comes from the commit under test: `${NAME}` in its sources never reaches a token.
    env: withoutCredentials(ctx.env),
    configFile,
    configLabel: shownConfig,
  });
  const dir = resolve(ws, ctx.inputs["run-dir"] ?? DEFAULT_VALIDATION_DIR);
  await mkdir(dir, { recursive: true });
  await writeValidationReport(dir, report);
  const reportPath = workspaceRelative(join(dir, VALIDATION_FILE), ws);
  const headline = validationHeadline(report);
  const table = renderValidationMarkdown(report).replace("<details>", "<details open>");
  const rows = `${data.rows.length} rows from ${data.sources.map((s) => `\`${escapeMarkdown(s, { maxLength: 100 })}\``).join(", ")}`;
  return {
    decision: report.success ? "pass" : "fail",
    reasonCode:
      report.results.length === 0 ? "no-expectations" : report.success ? "data-valid" : "data-invalid",
    message: `${shownConfig}: ${headline.replace(/^\S+ /, "")}`,
    outputs: { "report-path": reportPath },
    summary: [
      "## Modelship · data validate",
      "",
      report.results.length === 0
        ? `No expectations under \`data.expectations\` in \`${escapeMarkdown(shownConfig)}\`; ${rows} read.`
        : `**${headline}** (${rows}).`,
      "",
      table,
      "",
    ].join("\n"),
    annotations: failureAnnotations(report, shownConfig),
  };
}

/** One annotation per failed error-severity expectation, on its entry in the config. */
function failureAnnotations(report: ValidationReport, configFile: string): Annotation[] {
  return report.results
    .filter((r) => !r.success && r.severity === "error")
    .map((r) => ({
      title: `Data expectation failed: ${r.expectation}`,
      message: `${r.column === null ? "" : `column '${r.column}': `}${describeFailure(r)}`,
      file: r.where?.file ?? configFile,
      ...(r.where?.line ? { line: r.where.line } : {}),
      ...(r.where?.column ? { column: r.where.column } : {}),
    }));
}
