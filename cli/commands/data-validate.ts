import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import { EXIT_CODES } from "../../core/errors.ts";
import { renderValidationText } from "../../core/report/render-validation-text.ts";
import { validateData } from "../../adapters/data-validation/validate-data.ts";

type DataValidateOptions = { config: string; repo: string; json?: boolean };

/** `modelship data validate`: runs data.expectations on the configured data; exit 1 when an error-severity one fails. */
export function registerDataValidate(data: Command): void {
  data
    .command("validate")
    .description(
      "Run data.expectations on the configured data: per expectation success, observed value and unexpected rows. Exit 1 when an error-severity expectation fails.",
    )
    .option("-c, --config <path>", "config file, relative to --repo", DEFAULT_CONFIG_PATH)
    .option("--repo <dir>", "repository root that data paths are relative to", ".")
    .option("--json", "print { success, results: [...] } as JSON")
    .action(async (opts: DataValidateOptions) => {
      const repoDir = resolve(opts.repo);
      const configFile = resolve(repoDir, opts.config);
      const config = await loadConfig(relative(process.cwd(), configFile) || configFile, { required: true });
      const { report, data: rows } = await validateData({
        config,
        repoDir,
        env: process.env,
        configFile,
        configLabel: relative(repoDir, configFile) || opts.config,
      });
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : renderValidationText(report, { rows: rows.rows.length, sources: rows.sources }),
      );
      if (!report.success) process.exitCode = EXIT_CODES.checkFailed;
    });
}
