import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema, type ConfigInput } from "../../../core/config/schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { HistorySchema, RUN_FILES, RunRecordSchema } from "../../../core/run/run-record.ts";
import { CHECKPOINT_MANIFEST } from "../../../runners/train/checkpoint.ts";
import { trainRun } from "../../../runners/train/train-run.ts";

const repoDir = join(import.meta.dirname, "../../..");
const config = "examples/penguins/modelship.yml";
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modelship-ckpt-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

type Cli = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** `modelship train` as a user runs it; with `killAfterEpoch`, SIGKILLed once that epoch's line shows. */
function train(args: string[], killAfterEpoch?: number): Promise<Cli> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--no-warnings", "bin/modelship.js", "train", ...args], {
      cwd: repoDir,
      env: { ...process.env, MODELSHIP_CHECKPOINT_DIR: "", MODELSHIP_TF_BACKEND: "wasm" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (killAfterEpoch !== undefined && new RegExp(`^epoch ${killAfterEpoch}/`, "m").test(stderr))
        child.kill("SIGKILL");
    });
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Every initializer of an ONNX model (the trained weights), by name. */
async function onnxWeights(runDir: string): Promise<Map<string, Float32Array>> {
  const bytes = await readFile(join(runDir, RUN_FILES.model));
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  return new Map(
    (model.graph?.initializer ?? []).map((t) => {
      const raw = t.rawData ?? new Uint8Array();
      const copy = new Uint8Array(raw).buffer;
      return [t.name ?? "", new Float32Array(copy)];
    }),
  );
}

function expectClose(a: Record<string, number>, b: Record<string, number>) {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const [k, v] of Object.entries(a)) expect(Math.abs(v - b[k]!), k).toBeLessThanOrEqual(1e-6);
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

describe("modelship train --checkpoint-dir (real processes)", () => {
  // Small batches make each epoch a few dozen Adam steps; early stopping keeps best weights too.
  const params = ["--set", "epochs=14", "--set", "batchSize=8", "--set", "earlyStopping.patience=20"];

  it("a run killed mid-training resumes and ends exactly like an uninterrupted run", async () => {
    const runs = join(work, "runs-cli");
    const [full, killed] = await Promise.all([
      train(["--config", config, "--runs-dir", runs, "--run-id", "full", "--json", ...params]),
      train(
        [
          "--config",
          config,
          "--runs-dir",
          runs,
          "--run-id",
          "resumed",
          "--checkpoint-dir",
          join(work, "ck"),
          ...params,
        ],
        5,
      ),
    ]);
    expect(full.code, full.stderr).toBe(0);
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.stderr).toMatch(/checkpoints: none in .*penguins; training from epoch 1/);
    // The interrupted run left its checkpoint and no run directory under its real name.
    const manifest = JSON.parse(await readFile(join(work, "ck/penguins", CHECKPOINT_MANIFEST), "utf8")) as {
      epoch: number;
    };
    expect(manifest.epoch).toBeGreaterThanOrEqual(4);
    expect(manifest.epoch).toBeLessThan(14);
    expect(await exists(join(runs, "resumed"))).toBe(false);

    const again = await train([
      "--config",
      config,
      "--runs-dir",
      runs,
      "--run-id",
      "resumed",
      "--checkpoint-dir",
      join(work, "ck"),
      "--json",
      ...params,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`resuming from epoch ${manifest.epoch}/14`);
    expect(again.stderr).toContain(`continuing at epoch ${manifest.epoch + 1}`);
    // Only the epochs after the checkpoint ran in the second process.
    expect(again.stderr).not.toMatch(new RegExp(`^epoch ${manifest.epoch}/`, "m"));
    expect(again.stderr).toMatch(/^epoch 14\/14/m);

    const a = JSON.parse(full.stdout) as { runDir: string; record: unknown };
    const b = JSON.parse(again.stdout) as { runDir: string; record: { training: Record<string, unknown> } };
    expect(b.record.training).toMatchObject({ resumedFromEpoch: manifest.epoch, epochs: 14 });
    const onDisk = JSON.parse(await readFile(join(b.runDir, "run.json"), "utf8")) as typeof b.record;
    expect(onDisk.training).toMatchObject({ resumedFromEpoch: manifest.epoch });
    const ra = RunRecordSchema.parse(a.record);
    const rb = RunRecordSchema.parse(b.record);
    expect(rb.training?.bestEpoch).toBe(ra.training?.bestEpoch);
    expectClose(rb.metrics, ra.metrics);

    const ha = HistorySchema.parse(JSON.parse(await readFile(join(a.runDir, RUN_FILES.history), "utf8")));
    const hb = HistorySchema.parse(JSON.parse(await readFile(join(b.runDir, RUN_FILES.history), "utf8")));
    expect(hb.epochs.map((e) => e.epoch)).toEqual(ha.epochs.map((e) => e.epoch));
    ha.epochs.forEach((e, i) => expectClose(hb.epochs[i]!, e));

    const wa = await onnxWeights(a.runDir);
    const wb = await onnxWeights(b.runDir);
    expect([...wb.keys()]).toEqual([...wa.keys()]);
    let maxDiff = 0;
    for (const [name, va] of wa) {
      const vb = wb.get(name)!;
      expect(vb.length).toBe(va.length);
      va.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - vb[i]!))));
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
    // The run directory is written, so the checkpoint is gone.
    expect(await exists(join(work, "ck/penguins"))).toBe(false);
    // Three training processes, two of them at once: generous, since CI runs two test files at a time.
  }, 120_000);
});

describe("trainRun with a checkpoint directory", () => {
  let base: ConfigInput;
  let fresh: Record<string, number>;
  let pristine: string;

  const cfg = (params: Record<string, unknown> = {}) =>
    ConfigSchema.parse({
      ...base,
      train: { ...base.train, params: { ...base.train?.params, epochs: 4, ...params } },
    });

  async function run(checkpointDir: string, runId: string, params: Record<string, unknown> = {}) {
    const lines: string[] = [];
    const result = await trainRun({
      config: cfg(params),
      repoDir,
      runsDir: join(work, "runs-lib"),
      runId,
      progress: "silent",
      checkpointDir,
      log: (l) => lines.push(l),
    });
    return { ...result, lines, training: result.record.training as Record<string, unknown> };
  }

  beforeAll(async () => {
    base = parse(await readFile(join(repoDir, config), "utf8")) as ConfigInput;
    fresh = (
      await trainRun({
        config: cfg(),
        repoDir,
        runsDir: join(work, "runs-lib"),
        runId: "fresh",
        progress: "silent",
      })
    ).record.metrics;
    // A run whose directory cannot be written keeps its checkpoint (epoch 4 of 4): the fixture.
    pristine = join(work, "pristine");
    // The id is free when training starts (a taken one is refused before training) and taken
    // by the time the run directory is written.
    const err = await trainRun({
      config: cfg(),
      repoDir,
      runsDir: join(work, "runs-lib"),
      runId: "taken",
      progress: "silent",
      checkpointDir: pristine,
      log: () => mkdirSync(join(work, "runs-lib", "taken"), { recursive: true }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe("run-exists");
  }, 20_000);

  async function copyOfCheckpoint(name: string): Promise<string> {
    const dir = join(work, name);
    await cp(pristine, dir, { recursive: true });
    return dir;
  }

  it("resumes a checkpoint of the same training (here: already finished) and removes it once written", async () => {
    const dir = await copyOfCheckpoint("same");
    const r = await run(dir, "same");
    expect(r.lines.join("\n")).toMatch(/resuming from epoch 4\/4 .*training had already finished/);
    expect(r.training).toMatchObject({ resumedFromEpoch: 4, epochs: 4 });
    expectClose(r.record.metrics, fresh);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    ["learningRate", { learningRate: 0.02 }, /params differ/],
    ["epochs", { epochs: 6 }, /params differ/],
    ["a layer's width", { layers: [{ units: 12, activation: "relu" }] }, /params, model architecture differ/],
  ])("ignores a checkpoint written with another %s and trains from epoch 1", async (_, params, why) => {
    const dir = await copyOfCheckpoint(`other-${Object.keys(params)[0]}`);
    const r = await run(dir, `other-${Object.keys(params)[0]}`, params);
    const log = r.lines.join("\n");
    expect(log).toMatch(/warning: checkpoint ignored: .*belongs to another training/);
    expect(log).toMatch(why);
    expect(log).toMatch(/training from epoch 1/);
    expect(r.training).not.toHaveProperty("resumedFromEpoch");
    const history = HistorySchema.parse(
      JSON.parse(await readFile(join(r.runDir, RUN_FILES.history), "utf8")),
    );
    expect(history.epochs[0]?.epoch).toBe(1);
  });

  const bin = async (dir: string) => {
    const name = (await readdir(join(dir, "penguins"))).find((f) => f.startsWith("tensors-"))!;
    return join(dir, "penguins", name);
  };
  const manifestPath = (dir: string) => join(dir, "penguins", CHECKPOINT_MANIFEST);
  it.each([
    [
      "a flipped byte in the tensor file",
      async (dir: string) => {
        const p = await bin(dir);
        const b = await readFile(p);
        b[17] = b[17]! ^ 0xff;
        await writeFile(p, b);
      },
      /tensors-[0-9a-f]{16}\.bin is corrupt \(its sha256 does not match/,
    ],
    ["a truncated tensor file", async (dir: string) => writeFile(await bin(dir), "xx"), /is corrupt/],
    ["a missing tensor file", async (dir: string) => rm(await bin(dir)), /cannot be read/],
    [
      "a truncated manifest",
      async (dir: string) =>
        writeFile(manifestPath(dir), (await readFile(manifestPath(dir), "utf8")).slice(0, 50)),
      /checkpoint\.json is corrupt/,
    ],
    [
      "a manifest with a wrong shape",
      async (dir: string) => {
        const m = JSON.parse(await readFile(manifestPath(dir), "utf8")) as {
          tensors: { weights: { shape: number[] }[] };
        };
        m.tensors.weights[0]!.shape = [16, 10];
        await writeFile(manifestPath(dir), JSON.stringify(m));
      },
      /checkpoint\.json was altered after it was written \(checkpoint-digest-mismatch/,
    ],
    [
      "a forged stoppedEarly",
      async (dir: string) => {
        const m = JSON.parse(await readFile(manifestPath(dir), "utf8")) as {
          earlyStopping: { stoppedEarly: boolean };
        };
        m.earlyStopping.stoppedEarly = !m.earlyStopping.stoppedEarly;
        await writeFile(manifestPath(dir), JSON.stringify(m));
      },
      /checkpoint\.json was altered after it was written \(checkpoint-digest-mismatch/,
    ],
    [
      "a forged epoch count",
      async (dir: string) => {
        const m = JSON.parse(await readFile(manifestPath(dir), "utf8")) as {
          epoch: number;
          history: unknown[];
        };
        m.epoch = 2;
        m.history = m.history.slice(0, 2);
        await writeFile(manifestPath(dir), JSON.stringify(m));
      },
      /checkpoint\.json was altered after it was written \(checkpoint-digest-mismatch/,
    ],
  ])(
    "ignores a corrupted checkpoint (%s) with a warning and trains from scratch",
    async (_, corrupt, why) => {
      const dir = await copyOfCheckpoint(`corrupt-${Math.random().toString(36).slice(2)}`);
      await corrupt(dir);
      const r = await run(dir, `corrupt-${Math.random().toString(36).slice(2)}`);
      const log = r.lines.join("\n");
      expect(log).toMatch(/^warning: checkpoint ignored: /m);
      expect(log).toMatch(why);
      expect(r.training).not.toHaveProperty("resumedFromEpoch");
      // Nothing of the broken checkpoint leaked into the model.
      expectClose(r.record.metrics, fresh);
    },
  );
});

describe("trainRun with train.command and a checkpoint directory", () => {
  it("hands the directory to the program as MODELSHIP_CHECKPOINT_DIR", async () => {
    const dir = join(work, "cmd-ck");
    const program = `const fs = require("fs"), d = process.env.MODELSHIP_CHECKPOINT_DIR; fs.mkdirSync(d, { recursive: true }); fs.writeFileSync(d + "/seen", d); process.exit(3);`;
    const err = await trainRun({
      config: ConfigSchema.parse({
        model: { task: "regression", target: "y" },
        train: { command: `node -e '${program}'` },
      }),
      repoDir,
      runsDir: join(work, "runs-cmd"),
      runId: "cmd",
      progress: "silent",
      checkpointDir: dir,
    }).catch((e: unknown) => e);
    expect((err as ModelshipError).code).toBe("train-command-failed");
    expect(await readFile(join(dir, "seen"), "utf8")).toBe(dir);
  });
});
