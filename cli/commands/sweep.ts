import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import { readTrialRuns } from "../../adapters/run-dir/read-trial-runs.ts";
import { ModelshipError } from "../../core/errors.ts";
import { metricDirection } from "../../core/sweep/metric-direction.ts";
import { pickBestTrial } from "../../core/sweep/pick-best-trial.ts";
import { planSweep, type SweepSampler } from "../../core/sweep/plan-sweep.ts";
import { info, warn } from "../shared/output.ts";

type PlanFlags = { config: string; trials: number; sampler: string; seed: number; gridPoints: number };
type BestFlags = { config: string; runsDir: string; metric?: string; json?: boolean };

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return n;
}

/** `modelship sweep plan|best`: hyperparameter trials from train.search, and the best of them. */
export function register(program: Command): void {
  const sweep = program.command("sweep").description("Hyperparameter sweeps over train.search.");

  sweep
    .command("plan")
    .description("Print the trials of a sweep as one JSON array (a workflow matrix): [{id, params}, ...].")
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .option("--trials <n>", "number of trials (at most 256)", positiveInt, 8)
    .option("--sampler <name>", "random or grid", "random")
    .option("--seed <n>", "seed of the random sampler", positiveInt, 1)
    .option("--grid-points <n>", "points per continuous range in a grid sweep", positiveInt, 3)
    .action(async (flags: PlanFlags) => {
      if (flags.sampler !== "random" && flags.sampler !== "grid") {
        throw new ModelshipError({
          code: "sweep-sampler-unknown",
          message: `--sampler: expected random or grid (got ${JSON.stringify(flags.sampler)})`,
        });
      }
      const config = await loadConfig(flags.config, { required: true });
      const plan = planSweep(config.train.search, {
        trials: flags.trials,
        sampler: flags.sampler as SweepSampler,
        seed: flags.seed,
        gridPoints: flags.gridPoints,
      });
      if (!plan.ok) {
        throw new ModelshipError({
          code: `sweep-${plan.reason}`,
          message: plan.message,
          where: { file: flags.config },
          hint: "Declare bounded parameters under train.search, e.g. learningRate: { min: 0.0001, max: 0.1, log: true }.",
        });
      }
      process.stdout.write(`${JSON.stringify(plan.trials)}\n`);
      const how = plan.spaceSize === null ? "random" : `grid of ${plan.spaceSize} points`;
      info(
        `${plan.trials.length} trials (${how}) over ${Object.keys(config.train.search).sort().join(", ")}`,
      );
    });

  sweep
    .command("best")
    .description("Rank the trials' run directories by a metric and name the best one.")
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .requiredOption(
      "--runs-dir <dir>",
      "folder holding one run directory per trial (the folder name ends with the trial id)",
    )
    .option("--metric <name>", "metric to rank by (default: metrics.primary)")
    .option("--json", "print the ranking as JSON")
    .action(async (flags: BestFlags) => {
      const config = await loadConfig(flags.config, { required: true });
      const metric = flags.metric ?? config.metrics.primary;
      if (metric === undefined) {
        throw new ModelshipError({
          code: "sweep-no-metric",
          message: "no metric to rank trials by",
          where: { file: flags.config },
          hint: "Set metrics.primary in the config or pass --metric.",
        });
      }
      const searched = new Set(Object.keys(config.train.search));
      const { trials, unreadable } = await readTrialRuns(flags.runsDir, searched);
      for (const u of unreadable) warn(`not ranked: ${u.dir}: ${u.message} [${u.code}]`);
      const direction = metricDirection(config, metric);
      const result = pickBestTrial(trials, { metric, direction });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ metric, direction, ...result }, null, 2)}\n`);
      } else {
        const lines = result.ranked.map(
          (t, i) =>
            `${String(i + 1).padStart(3)}  ${t.id.padEnd(8)} ${t.value === null ? "—" : String(t.value)}  ${JSON.stringify(t.params)}`,
        );
        process.stdout.write(
          `${metric} (${direction === "maximize" ? "higher" : "lower"} is better)\n${lines.join("\n")}\n` +
            (result.ok ? `best: ${result.best.id} ${metric}=${result.best.value}\n` : ""),
        );
      }
      if (!result.ok) {
        throw new ModelshipError({
          code: `sweep-${result.reason}`,
          message: result.message,
          hint: "Check that the trials' runs finished and report the metric.",
        });
      }
    });
}
