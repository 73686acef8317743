import type { Command } from "commander";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";

/** `modelship validate`: check a config without running anything. */
export function register(program: Command): void {
  program
    .command("validate")
    .description("Check .github/modelship.yml (syntax and values) without running anything.")
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .option("--json", "print the effective config (defaults filled in) as JSON")
    .action(async (opts: { config: string; json?: boolean }) => {
      const config = await loadConfig(opts.config, { required: true });
      if (opts.json) process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      else process.stdout.write(`${opts.config}: valid (model ${config.model.name}, ${config.model.task})\n`);
    });
}
