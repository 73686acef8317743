import { resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_RUNS_DIR, indexRuns, type RunIndex } from "../../adapters/runs/index-runs.ts";
import { withCommonOptions, type CommonOptions } from "./options.ts";
import { warn } from "./output.ts";

export type RunsOptions = CommonOptions & { runsDir: string; json?: boolean };

/** Adds --repo, --config and --runs-dir: the workspace whose runs are indexed. */
export function withRunsOptions(cmd: Command): Command {
  return withCommonOptions(cmd).option(
    "--runs-dir <dir>",
    "run directories, relative to --repo (sweep trials and pulled CI runs included)",
    DEFAULT_RUNS_DIR,
  );
}

/** Indexes the workspace's runs and warns about folders that are not readable runs. */
export async function openIndex(opts: RunsOptions): Promise<RunIndex> {
  const index = await indexRuns({ workspace: resolve(opts.repo), runsDir: opts.runsDir });
  for (const u of index.unreadable) warn(`${u.path} skipped: ${u.message} [${u.code}]`);
  return index;
}
