import type { Command } from "commander";
import type * as TrainRunModule from "../../runners/train/train-run.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import { parseParamOverrides } from "../../core/data/parse-param-overrides.ts";
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
    .option("--json", "print the run record as JSON on stdout")
    .option("--no-progress", "no per-epoch progress on stderr")
    .action(async (opts: TrainCliOptions) => {
      const config = await loadConfig(opts.config, { required: true });
      const checkpointDir = opts.checkpointDir ?? (process.env.MODELSHIP_CHECKPOINT_DIR || undefined);
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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** TensorFlow.js loads only when a command trains, so every other command starts fast. */
function loadTrainer(): Promise<typeof TrainRunModule> {
  return import("../../runners/train/train-run.ts");
}
