import { writeFile } from "node:fs/promises";
import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import { readTrialRuns } from "../../adapters/run-dir/read-trial-runs.ts";
import { ModelshipError } from "../../core/errors.ts";
import { metricDirection } from "../../core/sweep/metric-direction.ts";
import { pickBestTrial } from "../../core/sweep/pick-best-trial.ts";
import { MAX_TRIALS, planSweep, type SweepSampler } from "../../core/sweep/plan-sweep.ts";
import { readStudyRuns } from "../../adapters/studies/read-study-runs.ts";
import { DEFAULT_STUDIES_DIR, studyPaths, updateStudy } from "../../adapters/studies/study-store.ts";
import { curvesForMatrix } from "../../core/sweep/matrix-pruning.ts";
import { openStudy } from "../../core/sweep/open-study.ts";
import { planStudyTrials } from "../../core/sweep/plan-study-trials.ts";
import { trialId } from "../../core/sweep/record-trial-result.ts";
import { tellStudy } from "../../core/sweep/tell-study.ts";
import { PRUNERS, SAMPLERS } from "../../core/sweep/study.ts";
import { renderStudyTable, summarizeStudy } from "../../core/sweep/summarize-study.ts";
import { info, notice, warn } from "../shared/output.ts";
import { DEFAULT_RUNS_DIR } from "./train.ts";

type PlanFlags = {
  config: string;
  trials: number;
  sampler?: string;
  seed?: number;
  gridPoints: number;
  study?: string;
  studiesDir: string;
  pruner?: string;
  metric?: string;
  pruningOut?: string;
};
type TellFlags = { config: string; study?: string; studiesDir: string; runsDir: string; json?: boolean };
type BestFlags = { config: string; runsDir: string; metric?: string; json?: boolean };
type RunFlags = {
  config: string;
  trials: number;
  parallel: number;
  sampler?: string;
  pruner?: string;
  study?: string;
  seed?: number;
  metric?: string;
  runsDir: string;
  studiesDir: string;
  json?: boolean;
};

function atLeastOne(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw new ModelshipError({
    code: "sweep-option-invalid",
    message: `${flag}: expected ${allowed.join(", ")} (got ${JSON.stringify(value)})`,
  });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return n;
}

/** `modelship sweep plan|run|best`: hyperparameter trials from train.search, a local study, and the best trial. */
export function register(program: Command): void {
  const sweep = program.command("sweep").description("Hyperparameter sweeps over train.search.");

  sweep
    .command("plan")
    .description("Print the trials of a sweep as one JSON array (a workflow matrix): [{id, params}, ...].")
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .option("--trials <n>", "number of trials (at most 256)", positiveInt, 8)
    .option("--sampler <name>", "random or grid; with --study also tpe (default: random, a new study: tpe)")
    .option("--seed <n>", "seed of the random sampler (default 1)", positiveInt)
    .option("--grid-points <n>", "points per continuous range in a grid sweep", positiveInt, 3)
    .option(
      "--study <name>",
      "ask this stored study's sampler for the next trials, given those that finished",
    )
    .option("--studies-dir <dir>", "where studies are stored", DEFAULT_STUDIES_DIR)
    .option(
      "--pruner <name>",
      "with --study, a new study's pruner: median, hyperband or none (default median)",
    )
    .option("--metric <name>", "with --study, a new study's metric (default: metrics.primary)")
    .option(
      "--pruning-out <file>",
      "with --study, write the finished trials' curves here for the trials' `modelship train --prune-with FILE --trial-number N`",
    )
    .action(async (flags: PlanFlags) => {
      if (flags.study !== undefined) return planFromStudy(flags);
      const sampler = flags.sampler ?? "random";
      if (sampler !== "random" && sampler !== "grid") {
        throw new ModelshipError({
          code: "sweep-sampler-unknown",
          message: `--sampler: expected random or grid (got ${JSON.stringify(sampler)})`,
        });
      }
      const config = await loadConfig(flags.config, { required: true });
      const plan = planSweep(config.train.search, {
        trials: flags.trials,
        sampler: sampler as SweepSampler,
        seed: flags.seed ?? 1,
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
    .command("run")
    .description(
      "Run a study locally: trials from train.search in parallel worker processes (each a run directory), pruned on the per-epoch validation value; resumes where it stopped.",
    )
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .option("--trials <n>", "trials the study holds when done (earlier runs of it included)", atLeastOne, 20)
    .option("--parallel <n>", "trials training at the same time", atLeastOne, 1)
    .option("--sampler <name>", "tpe, random or grid (new study: tpe)")
    .option("--pruner <name>", "median, hyperband or none (new study: median)")
    .option("--study <name>", "study name, its folder under --studies-dir (default: model.name)")
    .option("--seed <n>", "seed of the sampler (new study: 1)", positiveInt)
    .option("--metric <name>", "metric to optimise (new study: metrics.primary, else val_loss)")
    .option("--runs-dir <dir>", "where the trials' run directories go", DEFAULT_RUNS_DIR)
    .option("--studies-dir <dir>", "where studies are stored", DEFAULT_STUDIES_DIR)
    .option("--json", "print { study, best, trials } as JSON")
    .action(async (flags: RunFlags) => {
      const sampler = oneOf("--sampler", flags.sampler, SAMPLERS);
      const pruner = oneOf("--pruner", flags.pruner, PRUNERS);
      const config = await loadConfig(flags.config, { required: true });
      if (Object.keys(config.train.search).length === 0) {
        throw new ModelshipError({
          code: "sweep-empty-search-space",
          message: "train.search is empty: a study needs at least one parameter with bounds",
          where: { file: flags.config },
          hint: "Declare bounded parameters under train.search, e.g. learningRate: { min: 0.0001, max: 0.1, log: true }.",
        });
      }
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const { runStudy } = await import("../../runners/train/run-study.ts");
      const result = await runStudy({
        config,
        repoDir: process.cwd(),
        runsDir: flags.runsDir,
        studiesDir: flags.studiesDir,
        name: flags.study ?? config.model.name,
        trials: flags.trials,
        parallel: flags.parallel,
        ...(sampler ? { sampler } : {}),
        ...(pruner ? { pruner } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        ...(flags.metric ? { metric: flags.metric } : {}),
        log: notice,
        signal: abort.signal,
      }).finally(() => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      });
      const summary = summarizeStudy(result.study);
      process.stdout.write(
        flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${renderStudyTable(result.study)}\n`,
      );
      if (result.ended === "interrupted") {
        throw new ModelshipError(
          {
            code: "sweep-interrupted",
            message: "the study was interrupted; its running trials start again when it is resumed",
            hint: "Run the same command again to resume it.",
          },
          { failedCheck: true },
        );
      }
      if (!summary.best) {
        throw new ModelshipError(
          {
            code: "sweep-no-complete-trial",
            message: `no trial of study ${summary.study} completed`,
            hint: `Look at the trials' logs under ${flags.studiesDir}/${summary.study}/logs/.`,
          },
          { failedCheck: true },
        );
      }
    });

  sweep
    .command("tell")
    .description("Record the trials' run directories (e.g. a workflow matrix's artifacts) in their study.")
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .option("--study <name>", "study name (default: model.name)")
    .option("--studies-dir <dir>", "where studies are stored", DEFAULT_STUDIES_DIR)
    .requiredOption(
      "--runs-dir <dir>",
      "folder holding one run directory per trial (names end with -t<number>)",
    )
    .option("--json", "print { study, best, trials } as JSON")
    .action(async (flags: TellFlags) => {
      const config = await loadConfig(flags.config, { required: true });
      const paths = studyPaths(flags.studiesDir, flags.study ?? config.model.name);
      const runs = await readStudyRuns(flags.runsDir);
      const { study, told, unknown } = await updateStudy(
        paths,
        () => new Date(),
        (stored) => {
          if (!stored) {
            throw new ModelshipError({
              code: "study-missing",
              message: `there is no study at ${paths.study}`,
              hint: "Plan the trials first with `modelship sweep plan --study NAME`.",
            });
          }
          const { told, unknown } = tellStudy(stored, runs, { unreportedFail: false });
          return { study: stored, result: { study: stored, told, unknown } };
        },
      );
      for (const dir of unknown) warn(`not a trial of study ${study.name}: ${dir}`);
      info(`recorded ${told.length} trial(s) in ${paths.study}`);
      process.stdout.write(
        flags.json ? `${JSON.stringify(summarizeStudy(study), null, 2)}\n` : `${renderStudyTable(study)}\n`,
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

/** `sweep plan --study`: the next trials from the stored study's sampler, recorded as running. */
async function planFromStudy(flags: PlanFlags): Promise<void> {
  const sampler = oneOf("--sampler", flags.sampler, SAMPLERS);
  const pruner = oneOf("--pruner", flags.pruner, PRUNERS);
  if (flags.trials < 1 || flags.trials > MAX_TRIALS) {
    throw new ModelshipError({
      code: "sweep-invalid-trial-count",
      message: `--trials must be between 1 and ${MAX_TRIALS} (got ${flags.trials})`,
    });
  }
  const config = await loadConfig(flags.config, { required: true });
  const name = flags.study!;
  const paths = studyPaths(flags.studiesDir, name);
  const planned = await updateStudy(
    paths,
    () => new Date(),
    (stored) => {
      const opened = openStudy({
        name,
        config,
        stored,
        settings: {
          ...(sampler ? { sampler } : {}),
          ...(pruner ? { pruner } : {}),
          ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
          ...(flags.metric ? { metric: flags.metric } : {}),
          gridPoints: flags.gridPoints,
        },
      });
      if (!opened.ok)
        throw new ModelshipError({ code: opened.reason, message: opened.message, hint: opened.hint });
      const plan = planStudyTrials(opened.study, flags.trials);
      if (!plan.ok) {
        throw new ModelshipError({
          code: `sweep-${plan.reason}`,
          message: plan.message,
          where: { file: flags.config },
          hint: "Declare bounded parameters under train.search, e.g. learningRate: { min: 0.0001, max: 0.1, log: true }.",
        });
      }
      return { study: opened.study, result: { trials: plan.planned, curves: curvesForMatrix(opened.study) } };
    },
  );
  if (flags.pruningOut !== undefined) {
    await writeFile(flags.pruningOut, `${JSON.stringify(planned.curves)}\n`);
    const c = planned.curves;
    info(
      c
        ? `pruning curves of ${c.trials.length} finished trial(s) written to ${flags.pruningOut}${c.omitted ? ` (${c.omitted} older left out)` : ""}`
        : `the study does not prune (pruner none): ${flags.pruningOut} holds null`,
    );
  }
  process.stdout.write(
    `${JSON.stringify(planned.trials.map((t) => ({ id: trialId(t.number), number: t.number, params: t.params })))}\n`,
  );
  info(
    `${planned.trials.length} trial(s) planned in study ${name} (${paths.study}); record their runs with \`modelship sweep tell --study ${name} --runs-dir DIR\``,
  );
}
