// What permutation importance costs a sweep trial: the same penguins trial trained through
// trainRun with explain on (what `modelship train` does) and off (what sweep trials do), plots
// off in both, runs interleaved so a loaded machine slows both alike.
// Run: npm run bench:trial-explain   (REPEATS=5 EPOCHS=9 by default)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigSchema } from "../core/config/schema.ts";
import { trainRun } from "../runners/train/train-run.ts";

const REPEATS = Number(process.env.REPEATS ?? 5);
const EPOCHS = Number(process.env.EPOCHS ?? 9);
const REPO = fileURLToPath(new URL("..", import.meta.url));
const numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"];
const config = ConfigSchema.parse({
  model: {
    name: "penguins",
    task: "classification",
    target: "species",
    features: [...numeric, "island", "sex"],
  },
  data: {
    source: ["examples/penguins/data/penguins.json"],
    validationSplit: 0.2,
    seed: 7,
    transforms: [
      ...numeric.map((column) => ({ op: "impute", column, strategy: "median" })),
      ...numeric.map((column) => ({ op: "standardize", column })),
      { op: "onehot", column: "island" },
      { op: "impute", column: "sex", strategy: "constant", value: "unknown" },
      { op: "onehot", column: "sex" },
    ],
  },
  train: { params: { layers: [{ units: 16 }], epochs: EPOCHS, seed: 42 } },
  metrics: { primary: "accuracy" },
});

const runsDir = await mkdtemp(join(tmpdir(), "modelship-bench-explain-"));
const times = { on: [] as number[], off: [] as number[] };
let n = 0;
try {
  for (let r = -1; r < REPEATS; r++) {
    for (const mode of ["on", "off"] as const) {
      const t0 = performance.now();
      await trainRun({
        config,
        repoDir: REPO,
        runsDir,
        runId: `bench-${n++}`,
        progress: "silent",
        plots: false,
        explain: mode === "on",
        log: () => undefined,
      });
      // The first round warms the backend up and is not counted.
      if (r >= 0) times[mode].push(performance.now() - t0);
    }
  }
} finally {
  await rm(runsDir, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const on = median(times.on);
const off = median(times.off);
console.log(`penguins trial, ${EPOCHS} epochs, median of ${REPEATS}:`);
console.log(`  explain on  (modelship train): ${on.toFixed(0)} ms`);
console.log(`  explain off (sweep trial):     ${off.toFixed(0)} ms`);
console.log(`  off / on: ${(off / on).toFixed(2)}`);
