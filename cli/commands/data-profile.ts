import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import { tableFromRows } from "../../core/data/expectations/expectation-table.ts";
import { proposeSuite } from "../../core/data/expectations/propose-suite.ts";
import { renderSuiteYaml } from "../../core/data/expectations/render-suite-yaml.ts";
import { readValidationRows } from "../../adapters/data-validation/read-validation-rows.ts";

type DataProfileOptions = { config: string; repo: string; json?: boolean };

/** `modelship data profile`: drafts a starter data.expectations suite (types, null rates, ranges, sets) from the data. */
export function registerDataProfile(data: Command): void {
  data
    .command("profile")
    .description(
      "Propose starter data.expectations from the configured data (types, null rates, ranges, sets), as YAML to edit and paste into .github/modelship.yml.",
    )
    .option("-c, --config <path>", "config file, relative to --repo", DEFAULT_CONFIG_PATH)
    .option("--repo <dir>", "repository root that data paths are relative to", ".")
    .option("--json", "print the proposal (column summaries and expectations) as JSON")
    .action(async (opts: DataProfileOptions) => {
      const repoDir = resolve(opts.repo);
      const configFile = resolve(repoDir, opts.config);
      const config = await loadConfig(relative(process.cwd(), configFile) || configFile, { required: true });
      const rows = await readValidationRows({ repoDir, data: config.data, env: process.env });
      const table = tableFromRows(
        rows.rows,
        rows.rows.map((_, i) => rows.origin(i)),
      );
      const suite = proposeSuite(table);
      process.stdout.write(
        opts.json ? `${JSON.stringify(suite, null, 2)}\n` : renderSuiteYaml(suite, { sources: rows.sources }),
      );
    });
}
