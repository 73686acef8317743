import { basename } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import type { TrialResultInput } from "../../core/sweep/record-trial-result.ts";
import { listRunDirs } from "../run-dir/list-run-dirs.ts";
import { readRunDir } from "../run-dir/read-run-dir.ts";

/** A trial's run directory: the trial number from the folder name's `-tNNN` end, and what it reports. */
export type StudyRun = { number: number; dir: string; result: TrialResultInput };

/**
 * The run directories under `root` (or `root` itself) whose names end with a study trial id
 * (`…-t003`). A folder that is not a readable run directory counts as that trial failing.
 */
export async function readStudyRuns(root: string): Promise<StudyRun[]> {
  const dirs = await listRunDirs(
    root,
    "Point --runs-dir at the folder holding the trials' run directories (for example the downloaded artifacts).",
  );
  const runs: StudyRun[] = [];
  for (const dir of dirs) {
    const match = /-t(\d+)$/.exec(basename(dir));
    if (!match) continue;
    const number = Number(match[1]);
    try {
      const run = await readRunDir(dir);
      const history = run.history?.epochs ?? [];
      runs.push({
        number,
        dir,
        result:
          run.record.status === "failed"
            ? {
                kind: "failed",
                code: run.record.failure?.code ?? "run-failed",
                message: run.record.failure?.message ?? "the run failed",
              }
            : {
                kind: "finished",
                metrics: run.metrics,
                history,
                epochs: run.record.training?.epochs ?? history.length,
                prunedAtEpoch: run.record.training?.prunedAtEpoch ?? null,
              },
      });
    } catch (err) {
      if (!(err instanceof ModelshipError)) throw err;
      runs.push({
        number,
        dir,
        result: { kind: "failed", code: err.code, message: err.problems[0]?.message ?? err.message },
      });
    }
  }
  return runs;
}
