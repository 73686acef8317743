// Sweep efficiency: TPE with pruning against random search without pruning, same trial budget,
// same seeds, on two real data sets (Palmer penguins and Seattle weather from vega-datasets).
// Each study runs through the real study loop (runStudy: sampler, pruner, study storage, run
// directories), one trial at a time in this process, so the numbers do not depend on timing.
// Reported per study: best val_loss, epochs spent in all; and the epochs TPE+pruning needed to
// reach random search's best value, as a share of random search's epochs (target ≤ 0.60).
// Run: npm run bench:sweep   (TRIALS=20 SEEDS=1,2,3 EPOCHS=9 PRUNERS=hyperband,median by default;
// DATASETS=penguins or DATASETS=seattle-weather runs one data set)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigSchema, type Config } from "../core/config/schema.ts";
import type { PrunerName, SamplerName, Study } from "../core/sweep/study.ts";
import { runStudy } from "../runners/train/run-study.ts";
import { runTrialInProcess } from "../runners/train/run-trial-in-process.ts";

const TRIALS = Number(process.env.TRIALS ?? 20);
const SEEDS = (process.env.SEEDS ?? "1,2,3").split(",").map(Number);
const EPOCHS = Number(process.env.EPOCHS ?? 9);
const PRUNERS = (process.env.PRUNERS ?? "hyperband,median").split(",") as PrunerName[];
const ONLY = process.env.DATASETS?.split(",");
const REPO = fileURLToPath(new URL("..", import.meta.url));

const search = {
  learningRate: { min: 0.0001, max: 0.3, log: true },
  optimizer: { values: ["adam", "sgd", "rmsprop"] },
  batchSize: { values: [16, 32, 64, 128] },
};
const standardize = (columns: string[]) => columns.map((column) => ({ op: "standardize", column }));
const imputeMedian = (columns: string[]) =>
  columns.map((column) => ({ op: "impute", column, strategy: "median" }));

const penguinsNumeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"];
const weatherNumeric = ["precipitation", "temp_max", "temp_min", "wind"];
const DATASETS: { name: string; config: Config }[] = [
  {
    name: "penguins",
    config: ConfigSchema.parse({
      model: {
        name: "penguins",
        task: "classification",
        target: "species",
        features: [...penguinsNumeric, "island", "sex"],
      },
      data: {
        source: ["examples/penguins/data/penguins.json"],
        validationSplit: 0.2,
        seed: 7,
        transforms: [
          ...imputeMedian(penguinsNumeric),
          ...standardize(penguinsNumeric),
          { op: "onehot", column: "island" },
          { op: "impute", column: "sex", strategy: "constant", value: "unknown" },
          { op: "onehot", column: "sex" },
        ],
      },
      train: { params: { layers: [{ units: 16 }], epochs: EPOCHS, seed: 42 }, search },
      metrics: { primary: "accuracy" },
    }),
  },
  {
    name: "seattle-weather",
    config: ConfigSchema.parse({
      model: { name: "weather", task: "classification", target: "weather", features: weatherNumeric },
      data: {
        source: ["node_modules/vega-datasets/data/seattle-weather.csv"],
        validationSplit: 0.2,
        seed: 7,
        transforms: standardize(weatherNumeric),
      },
      train: { params: { layers: [{ units: 16 }], epochs: EPOCHS, seed: 42 }, search },
      metrics: { primary: "accuracy" },
    }),
  },
];

async function study(config: Config, sampler: SamplerName, pruner: PrunerName, seed: number): Promise<Study> {
  const dir = await mkdtemp(join(tmpdir(), "ms-bench-sweep-"));
  try {
    const { study } = await runStudy({
      config,
      repoDir: REPO,
      runsDir: join(dir, "runs"),
      studiesDir: join(dir, "studies"),
      name: `${sampler}-${pruner}-${seed}`,
      trials: TRIALS,
      parallel: 1,
      sampler,
      pruner,
      seed,
      metric: "val_loss",
      runTrial: runTrialInProcess,
    });
    return study;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Best value and epochs in all; `reach`: epochs spent until the best-so-far is ≤ target (Infinity if never). */
function measure(s: Study, target?: number) {
  let spent = 0;
  let best = Infinity;
  let reach = Infinity;
  for (const t of s.trials) {
    spent += t.epochs;
    if (t.state === "complete" && t.value !== null && t.value < best) best = t.value;
    if (target !== undefined && reach === Infinity && best <= target) reach = spent;
  }
  return { best, epochs: spent, reach, pruned: s.trials.filter((t) => t.state === "pruned").length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : "never");
const started = performance.now();
console.log(
  `sweep bench: ${TRIALS} trials per study, ${EPOCHS} epochs max, seeds ${SEEDS.join(",")}, objective val_loss (minimise)`,
);
const summary: string[] = [];
for (const ds of DATASETS.filter((d) => !ONLY || ONLY.includes(d.name))) {
  const randoms = new Map<number, ReturnType<typeof measure>>();
  for (const pruner of PRUNERS) {
    const ratios: number[] = [];
    for (const seed of SEEDS) {
      const random = randoms.get(seed) ?? measure(await study(ds.config, "random", "none", seed));
      randoms.set(seed, random);
      const tpeStudy = await study(ds.config, "tpe", pruner, seed);
      const tpe = measure(tpeStudy, random.best);
      const ratio = tpe.reach / random.epochs;
      ratios.push(ratio);
      console.log(
        `${ds.name.padEnd(16)} seed ${seed}  random: best ${fmt(random.best)} in ${random.epochs} epochs | tpe+${pruner}: best ${fmt(tpe.best)} in ${tpe.epochs} epochs (${tpe.pruned} pruned), reached random's best after ${Number.isFinite(tpe.reach) ? tpe.reach : "—"} epochs  ratio ${fmt(ratio)}`,
      );
    }
    const met = ratios.filter((r) => r <= 0.6).length;
    summary.push(
      `${ds.name.padEnd(16)} tpe+${pruner.padEnd(9)} median ratio ${fmt(median(ratios))} (target ≤ 0.60; met on ${met}/${ratios.length} seeds)`,
    );
  }
}
console.log(`\n${summary.join("\n")}\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
