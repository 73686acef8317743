import type { Command } from "commander";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import type { Config } from "../../core/config/schema.ts";
import { warn } from "../shared/output.ts";

/** `modelship validate`: check a config without running anything. */
export function register(program: Command): void {
  program
    .command("validate")
    .description("Check .github/modelship.yml (syntax and values) without running anything.")
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .option("--json", "print the effective config (defaults filled in) as JSON")
    .action(async (opts: { config: string; json?: boolean }) => {
      const config = await loadConfig(opts.config, { required: true });
      for (const w of configWarnings(config)) warn(`${opts.config}: ${w}`);
      if (opts.json) process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      else process.stdout.write(`${opts.config}: valid (model ${config.model.name}, ${config.model.task})\n`);
    });
}

/** What is valid but cannot work as written: shown as warnings, exit code unchanged. */
function configWarnings(config: Config): string[] {
  if (config.train.command === undefined && config.data.source.length + config.data.sources.length === 0) {
    return [
      "data.source and data.sources are empty, so the built-in trainer has nothing to train on " +
        "(add files, an HTTP API or a database under data.sources, or set train.command to run your own program)",
    ];
  }
  return [];
}
