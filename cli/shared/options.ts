import { resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";

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

/** A `--port` value: an integer from 0 (any free port) to 65535, else the fallback when absent. */
export function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `--port must be an integer from 0 to 65535, got '${text}'`,
      hint: "Use 0 for any free port.",
    });
  }
  return port;
}
