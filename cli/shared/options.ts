import { resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import type { Config } from "../../core/config/schema.ts";

export type CommonOptions = { config: string; repo: string };

/** Adds the options every repository-facing command shares. */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .option("--repo <dir>", "repository holding the registry (git tags) and run directories", ".");
}

/** Loads the config relative to the repository directory. */
export async function loadCommonConfig(opts: CommonOptions): Promise<{ config: Config; repoDir: string }> {
  const repoDir = resolve(opts.repo);
  const config = await loadConfig(resolve(repoDir, opts.config));
  return { config, repoDir };
}

/** Writes machine-readable output (one JSON document) or human text to stdout. */
export function emit(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text());
}
