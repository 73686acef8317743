import { basename } from "node:path";
import { flattenParams } from "../../core/compare/flatten-params.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { TrialResult } from "../../core/sweep/pick-best-trial.ts";
import { listRunDirs } from "./list-run-dirs.ts";
import { readRunDir } from "./read-run-dir.ts";

/** A sweep trial read from its run directory. */
export type TrialDir = TrialResult & { dir: string };
/** A folder that is not a readable run directory, with the reason. */
export type Unreadable = { id: string; dir: string; code: string; message: string };

/** One trial per run directory: `root` itself when it is one, else each folder in it (named `...-t01`). */
export async function readTrialRuns(
  root: string,
  searched: ReadonlySet<string>,
): Promise<{ trials: TrialDir[]; unreadable: Unreadable[] }> {
  const dirs = await listRunDirs(
    root,
    "Point it at the folder holding the trials' run directories (for example the downloaded artifacts).",
  );
  const trials: TrialDir[] = [];
  const unreadable: Unreadable[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const name = basename(dir);
    const short = /-(t\d+)$/.exec(name)?.[1] ?? name;
    const id = seen.has(short) ? name : short;
    seen.add(id);
    try {
      const run = await readRunDir(dir);
      const params = Object.fromEntries(
        Object.entries(flattenParams(run.params)).filter(([k]) => searched.has(k)),
      );
      trials.push({ id, dir, params, metrics: run.metrics });
    } catch (err) {
      if (!(err instanceof ModelshipError)) throw err;
      unreadable.push({ id, dir, code: err.code, message: err.problems[0]?.message ?? err.message });
    }
  }
  return { trials, unreadable };
}
