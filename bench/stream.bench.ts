// Streaming training (data.streaming.enabled) on a generated CSV: wall time per epoch (fitMs /
// epochs, per-epoch validation included) and of the whole run, against a baseline trained on
// the same file in the same process, rounds alternating. BASELINE_ROOT=<another checkout of
// Modelship> streams with that checkout's trainer (before/after a change); without it, the
// baseline is this checkout's in-memory path.
// Run: npx node bench/stream.bench.ts   (ROWS=1000000, EPOCHS=2, ROUNDS=2 by default)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  baselineRoot,
  EPOCHS,
  ROUNDS,
  ROWS,
  trainBig as run,
  trainerOf,
  writeBigCsv as writeData,
} from "./big-csv-training.ts";

const current = await trainerOf();
const baseline = baselineRoot ? await trainerOf(baselineRoot) : current;

const repo = await mkdtemp(join(tmpdir(), "modelship-stream-bench-"));
try {
  await writeData(repo);
  const base = baselineRoot ? `streamed by ${baselineRoot}` : "in-memory";
  console.log(`${ROWS} rows, ${EPOCHS} epochs, batch 1024, shuffle buffer 10000; baseline: ${base}`);
  const f = (x: number) => x.toFixed(0).padStart(7);
  for (let round = 1; round <= ROUNDS; round++) {
    const before = await run(baseline, repo, baselineRoot !== undefined, `base-${round}`);
    const after = await run(current, repo, true, `streamed-${round}`);
    console.log(
      `round ${round}: per epoch  baseline ${f(before.epochMs)} ms  streamed ${f(after.epochMs)} ms  ratio ${(after.epochMs / before.epochMs).toFixed(2)}×` +
        ` | whole run  baseline ${f(before.wallMs)} ms  streamed ${f(after.wallMs)} ms  ratio ${(after.wallMs / before.wallMs).toFixed(2)}×` +
        ` | accuracy ${before.accuracy.toFixed(3)} / ${after.accuracy.toFixed(3)}`,
    );
  }
} finally {
  await rm(repo, { recursive: true, force: true });
}
