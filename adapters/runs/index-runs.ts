import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { RUN_FILES } from "../../core/run/run-record.ts";
import { toRunEntry, type RunEntry } from "../../core/runs/run-entry.ts";
import { readRunDir, type RunDir } from "../run-dir/read-run-dir.ts";

/** Where `modelship train` and `run` write runs, relative to the workspace. */
export const DEFAULT_RUNS_DIR = ".modelship/runs";
/** Under the runs directory: run records `runs pull` fetched from CI. */
export const PULLED_DIR = "pulled";

/** A folder holding run.json that could not be read, with the reason; listed, never fatal. */
export type UnreadableRun = { path: string; code: string; message: string };

export type RunIndex = {
  workspace: string;
  runsDir: string;
  runs: RunEntry[];
  unreadable: UnreadableRun[];
};

// Sweep trials may sit one or two folders deeper (study/trial); a run directory is never nested in another.
const MAX_DEPTH = 3;

/**
 * Indexes every run directory under `runsDir` (default `.modelship/runs`): local runs, sweep trials
 * (any folder holding run.json) and pulled CI records under `pulled/`. Newest first.
 */
export async function indexRuns(opts: { workspace: string; runsDir?: string }): Promise<RunIndex> {
  const runsDir = join(opts.workspace, opts.runsDir ?? DEFAULT_RUNS_DIR);
  const dirs = await findRunDirs(runsDir, MAX_DEPTH);
  const runs: RunEntry[] = [];
  const unreadable: UnreadableRun[] = [];
  for (const dir of dirs) {
    const path = relative(opts.workspace, dir) || ".";
    try {
      const run = await readRunDir(dir);
      runs.push(entryOf(run, path, relative(runsDir, dir)));
    } catch (err) {
      if (!(err instanceof ModelshipError)) throw err;
      unreadable.push({ path, code: err.code, message: err.problems[0]?.message ?? err.message });
    }
  }
  runs.sort((a, b) =>
    a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.id < b.id ? -1 : 1,
  );
  return { workspace: opts.workspace, runsDir, runs, unreadable };
}

function entryOf(run: RunDir, path: string, inRunsDir: string): RunEntry {
  const pulled = inRunsDir.split(sep)[0] === PULLED_DIR;
  return toRunEntry({
    record: run.record,
    metrics: run.metrics,
    params: run.params,
    source: pulled ? "pulled" : "local",
    path,
  });
}

async function findRunDirs(dir: string, depth: number): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return [];
    throw err;
  });
  if (entries.some((e) => e.isFile() && e.name === RUN_FILES.record)) return [dir];
  if (depth === 0) return [];
  const found: string[] = [];
  for (const e of entries
    .filter((x) => x.isDirectory() && !x.name.startsWith("."))
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    found.push(...(await findRunDirs(join(dir, e.name), depth - 1)));
  }
  return found;
}

/**
 * Finds one run by id, unique id prefix, or path to its directory; throws a usage error naming
 * the candidates when the reference is ambiguous or unknown.
 */
export async function resolveRun(index: RunIndex, ref: string): Promise<RunEntry> {
  const exact = index.runs.filter((r) => r.id === ref || r.path === ref);
  if (exact.length === 1) return exact[0]!;
  const asPath = await stat(join(ref, RUN_FILES.record)).then(
    () => true,
    () => false,
  );
  if (asPath) {
    const run = await readRunDir(ref);
    return entryOf(run, ref, ref);
  }
  const prefixed = exact.length > 1 ? exact : index.runs.filter((r) => r.id.startsWith(ref));
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) {
    throw new ModelshipError({
      code: "run-ambiguous",
      message: `'${ref}' matches ${prefixed.length} runs: ${prefixed
        .slice(0, 5)
        .map((r) => r.path)
        .join(", ")}`,
      hint: "Pass the full run id or the run directory's path.",
    });
  }
  throw new ModelshipError({
    code: "run-not-found",
    message: `no run '${ref}' in ${relative(index.workspace, index.runsDir) || "."} (${index.runs.length} runs indexed)`,
    hint: "`modelship runs list` shows the runs; pass a run id, a unique prefix of one, or a run directory.",
  });
}
