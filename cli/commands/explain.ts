import { join } from "node:path";
import type { Command } from "commander";
import { readExplanation } from "../../adapters/runs/read-explanation.ts";
import { resolveRun } from "../../adapters/runs/index-runs.ts";
import { ModelshipError } from "../../core/errors.ts";
import { renderExplanationText } from "../../core/explain/render-explanation.ts";
import { emit } from "../shared/options.ts";
import { openIndex, withRunsOptions, type RunsOptions } from "../shared/run-index.ts";

/** `modelship explain RUN`: the run's permutation importance, measured on its validation split when it trained. */
export function register(program: Command): void {
  withRunsOptions(
    program
      .command("explain")
      .description(
        "What drives a run's model: permutation importance of each raw feature on the validation split.",
      )
      .argument("<run>", "run id, unique prefix of one, or run directory")
      .option("--json", 'print { "metric", "repeats", "features": [{ "name", "importance", "std" }], ... }'),
  ).action(async (ref: string, opts: RunsOptions) => {
    const index = await openIndex(opts);
    const run = await resolveRun(index, ref);
    const explanation = await readExplanation(join(index.workspace, run.path));
    if (explanation === null) {
      throw new ModelshipError({
        code: "explanation-missing",
        message: `run ${run.id} has no explanation.json`,
        where: { file: run.path },
        hint: "The built-in trainer writes it; sweep trials, runs of a train.command program, and runs trained before explanations existed have none. Train the model again (for a trial: with its params).",
      });
    }
    emit(opts.json, explanation, () => renderExplanationText(explanation));
  });
}
