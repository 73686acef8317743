import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodedDirOwner, hostTag } from "../../../runners/train/encoded-split-dir.ts";

const root = join(import.meta.dirname, "../../..");
let work: string;
let repo: string;
/** The OS temp directory the training children see (TMPDIR). */
let temp: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ms-encoded-dir-"));
  repo = join(work, "repo");
  temp = join(work, "tmp");
  await mkdir(join(repo, "data"), { recursive: true });
  await mkdir(temp);
  await copyFile(join(root, "examples/penguins/data/penguins.json"), join(repo, "data/penguins.json"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("encodedDirOwner", () => {
  it.each([
    ["modelship-encoded-0a1b2c3d-4242-Xy12Zq", { host: "0a1b2c3d", pid: 4242 }],
    ["modelship-encoded-0a1b2c3d-4242-", { host: "0a1b2c3d", pid: 4242 }],
    // Made before folders were named after their owner: nothing says whether it is in use.
    ["modelship-encoded-Xy12Zq", null],
    ["modelship-encoded-0a1b2c3d-x42-Xy12Zq", null],
    ["modelship-encoded-0A1B2C3D-4242-Xy12Zq", null],
    ["other-0a1b2c3d-4242-Xy12Zq", null],
  ])("%s", (name, owner) => {
    expect(encodedDirOwner(name)).toEqual(owner);
  });
});

const CONFIG = {
  version: 1,
  model: {
    name: "penguins",
    task: "classification",
    target: "species",
    features: ["bill_length_mm", "flipper_length_mm", "island"],
  },
  data: {
    source: ["data/penguins.json"],
    streaming: { enabled: true, shuffleBuffer: 64 },
    transforms: [
      { op: "impute", column: "bill_length_mm", strategy: "median" },
      { op: "impute", column: "flipper_length_mm", strategy: "median" },
      { op: "standardize", column: "flipper_length_mm" },
      { op: "onehot", column: "island" },
    ],
  },
};

/** A streaming penguins run of `epochs` epochs in its own process; prints `epoch N` after each. */
const entry = (epochs: number) => `
import { ConfigSchema } from ${JSON.stringify(join(root, "core/config/schema.ts"))};
import { trainRun } from ${JSON.stringify(join(root, "runners/train/train-run.ts"))};
const config = ConfigSchema.parse(${JSON.stringify({
  ...CONFIG,
  train: { params: { layers: [{ units: 4, activation: "relu" }], epochs, batchSize: 16, seed: 3 } },
})});
const { record } = await trainRun({ config, repoDir: ${JSON.stringify(repo)}, runsDir: ${JSON.stringify(join(work, "runs"))},
  runId: "e${epochs}", progress: "silent", plots: false, explain: false, log: () => undefined,
  shouldStop: (log) => { console.log("epoch " + log.epoch); return false; } });
console.log("status " + record.status);
`;

/** Starts a training child with TMPDIR set to `temp`; `until` resolves once its output matches. */
async function train(epochs: number) {
  const script = join(work, `train-${epochs}.mjs`);
  await writeFile(script, entry(epochs));
  const child = spawn(process.execPath, ["--no-warnings", script], {
    cwd: root,
    env: { ...process.env, TMPDIR: temp },
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((r) => child.once("close", r));
  const until = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(out)) resolve();
        else if (child.exitCode !== null) reject(new Error(`training exited first:\n${out}`));
        else setTimeout(check, 20);
      };
      check();
    });
  return { child, closed, until, output: () => out };
}

const encodedDirs = async () =>
  (await readdir(temp)).filter((n) => n.startsWith("modelship-encoded-")).sort();

it("a run SIGKILLed mid-epoch leaves its encoded split; the next run removes it and leaves live and foreign ones", async () => {
  const killed = await train(100_000);
  await killed.until(/epoch 2\b/);
  const pid = killed.child.pid!;
  killed.child.kill("SIGKILL");
  await killed.closed;
  const [left, ...others] = await encodedDirs();
  expect(others).toEqual([]);
  expect(encodedDirOwner(left!)).toEqual({ host: hostTag(), pid });
  expect(await readdir(join(temp, left!))).toEqual(["train.f32", "validation.f32"]);

  // A live owner (this test process), and one on another host with the dead id: both stay.
  const live = `modelship-encoded-${hostTag()}-${process.pid}-live00`;
  const foreignHost = hostTag() === "00000000" ? "ffffffff" : "00000000";
  const foreign = `modelship-encoded-${foreignHost}-${pid}-other0`;
  await mkdir(join(temp, live));
  await mkdir(join(temp, foreign));

  const next = await train(2);
  expect(await next.closed, next.output()).toBe(0);
  expect(next.output()).toContain("status succeeded");
  // Its own folder is gone too: the run removed it when it ended.
  expect(await encodedDirs()).toEqual([live, foreign].sort());
}, 240_000);
