import { InvalidArgumentError, type Command } from "commander";
import type * as TrainRunModule from "../../runners/train/train-run.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import { readPruningCurves } from "../../adapters/studies/read-pruning-curves.ts";
import { parseParamOverrides } from "../../core/data/parse-param-overrides.ts";
import { ModelshipError } from "../../core/errors.ts";
import { createMatrixPruner, type TrialPruning } from "../../core/sweep/matrix-pruning.ts";
import { isQuiet, notice } from "../shared/output.ts";

export const DEFAULT_RUNS_DIR = ".modelship/runs";

type TrainCliOptions = {
  config: string;
  runsDir: string;
  runId?: string;
  set: string[];
  json?: boolean;
  progress?: boolean;
  checkpointDir?: string;
  pruneWith?: string;
  trialNumber?: number;
};

/** `modelship train`: train once (built-in trainer or train.command) and write a run directory. */
export function register(program: Command): void {
  program
    .command("train")
    .description(
      "Train a model from the config and write a run directory (metrics, history, ONNX model, model card).",
    )
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .option("--runs-dir <dir>", "where run directories go", DEFAULT_RUNS_DIR)
    .option("--run-id <id>", "name of the run directory (default: timestamp and random suffix)")
    .option(
      "--set <key=value>",
      "override train.params, e.g. --set epochs=20 --set earlyStopping.patience=5",
      collect,
      [],
    )
    .option(
      "--checkpoint-dir <dir>",
      "write a checkpoint after every epoch and resume from it (default: $MODELSHIP_CHECKPOINT_DIR, else none)",
    )
    .option(
      "--prune-with <file>",
      "a study's trial on a workflow matrix: stop early when the study's pruner says so, judged against the finished trials' curves in FILE (sweep-plan's `pruning`); needs --trial-number",
    )
    .option("--trial-number <n>", "with --prune-with: the trial's number in its study", trialNumber)
    .option("--json", "print the run record as JSON on stdout")
    .option("--no-progress", "no per-epoch progress on stderr")
    .action(async (opts: TrainCliOptions) => {
      const config = await loadConfig(opts.config, { required: true });
      const checkpointDir = opts.checkpointDir ?? (process.env.MODELSHIP_CHECKPOINT_DIR || undefined);
      const pruning = opts.pruneWith ? await trialPruning(opts.pruneWith, opts.trialNumber) : undefined;
      if (pruning && config.train.command)
        notice("--prune-with: a train.command program is not stopped early; it trains all its epochs");
      const trained = await (
        await loadTrainer()
      ).trainRun({
        config,
        repoDir: process.cwd(),
        configFile: opts.config,
        runsDir: opts.runsDir,
        ...(opts.runId ? { runId: opts.runId } : {}),
        params: parseParamOverrides(opts.set),
        progress: opts.progress === false || isQuiet() ? "silent" : "auto",
        log: notice,
        ...(checkpointDir ? { checkpointDir } : {}),
        ...(pruning ? { shouldStop: matrixStop(pruning) } : {}),
      });
      const { runDir, record } = trained;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ runDir, record }, null, 2)}\n`);
        return;
      }
      const metrics = Object.entries(record.metrics)
        .map(([k, v]) => `  ${k.padEnd(12)} ${Number.isInteger(v) ? v : v.toPrecision(4)}`)
        .join("\n");
      const p = record.parity;
      const parity = p
        ? `\nONNX parity: max |diff| ${p.maxAbsDiff.toExponential(2)}, every output within ${p.atol ?? p.tolerance} + ${p.rtol ?? 0}·|tfjs|`
        : "";
      const resumed =
        record.training && "resumedFromEpoch" in record.training
          ? `\nresumed from the checkpoint of epoch ${String(record.training.resumedFromEpoch)}`
          : "";
      process.stdout.write(
        `run ${record.runId} (${record.trainer}, ${record.backend}${record.device ? ` on ${record.device}` : ""}) written to ${runDir}\n${metrics}${parity}${resumed}\n`,
      );
    });
}

/** The curves in `file` with the trial they judge (undefined when the study does not prune). */
async function trialPruning(file: string, trial: number | undefined): Promise<TrialPruning | undefined> {
  if (trial === undefined) {
    throw new ModelshipError({
      code: "train-option-invalid",
      message: "--prune-with needs --trial-number, the number of the trial it prunes",
      hint: "Pass the `number` of the trial's matrix entry, e.g. --trial-number 12.",
    });
  }
  const curves = await readPruningCurves(file);
  if (!curves)
    notice(`--prune-with: ${file} holds null (the study's pruner is none); the trial is not pruned`);
  return curves ? { curves, trial } : undefined;
}

function trialNumber(value: string): number {
  if (!/^[0-9]{1,9}$/.test(value)) throw new InvalidArgumentError("expected a trial number (0, 1, ...)");
  return Number(value);
}

/** Asks the study's pruner after each epoch, and says why when it stops the trial. */
function matrixStop(pruning: TrialPruning): (log: { epoch: number }) => boolean {
  const decide = createMatrixPruner(pruning);
  const peers = pruning.curves.trials.length;
  notice(
    `pruning with the ${pruning.curves.pruner} pruner of study ${pruning.curves.study} against ${peers} finished trial(s)`,
  );
  return ({ epoch, ...logs }) => {
    const decision = decide(epoch, logs);
    if (decision.prune) notice(`pruned at epoch ${epoch}: ${decision.detail} [${decision.reason}]`);
    return decision.prune;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** TensorFlow.js loads only when a command trains, so every other command starts fast. */
function loadTrainer(): Promise<typeof TrainRunModule> {
  return import("../../runners/train/train-run.ts");
}
