// In-memory training (data.streaming off) against streaming training on the same generated CSV,
// in the same process, rounds alternating: wall time per epoch (fitMs / epochs, per-epoch
// validation included), the final evaluation, and the whole run. BASELINE_ROOT=<another
// checkout of Modelship> adds that checkout's in-memory trainer on the same file (before/after
// a change). The file is the one bench/stream.bench.ts generates.
// Run: npx node bench/memory.bench.ts   (ROWS=1000000, EPOCHS=2, ROUNDS=2 by default)
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
  type BigRun as Result,
} from "./big-csv-training.ts";

const current = await trainerOf();
const baseline = baselineRoot ? await trainerOf(baselineRoot) : undefined;

const f = (x: number) => x.toFixed(0).padStart(7);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const line = (name: string, r: Result) =>
  `  ${name.padEnd(20)} per epoch ${f(r.epochMs)} ms  evaluation ${f(r.evaluateMs)} ms  whole run ${f(r.wallMs)} ms  accuracy ${r.accuracy.toFixed(4)}`;

const repo = await mkdtemp(join(tmpdir(), "modelship-memory-bench-"));
try {
  await writeData(repo);
  console.log(
    `${ROWS} rows, ${EPOCHS} epochs, batch 1024; in memory against streamed (shuffle buffer 10000)` +
      (baselineRoot ? ` and against ${baselineRoot} in memory` : ""),
  );
  for (let round = 1; round <= ROUNDS; round++) {
    const old = baseline ? await run(baseline, repo, false, `base-${round}`) : undefined;
    const memory = await run(current, repo, false, `memory-${round}`);
    const streamed = await run(current, repo, true, `streamed-${round}`);
    console.log(`round ${round}:`);
    if (old) console.log(line("baseline in memory", old));
    console.log(line("in memory", memory));
    console.log(line("streamed", streamed));
    console.log(
      `  per epoch: in memory / streamed ${ratio(memory.epochMs, streamed.epochMs)}` +
        (old
          ? `; in memory / baseline ${ratio(memory.epochMs, old.epochMs)} (evaluation ${ratio(memory.evaluateMs, old.evaluateMs)}, whole run ${ratio(memory.wallMs, old.wallMs)})`
          : ""),
    );
  }
} finally {
  await rm(repo, { recursive: true, force: true });
}
