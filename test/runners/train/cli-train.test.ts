import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunRecordSchema } from "../../../core/run/run-record.ts";

const repoDir = join(import.meta.dirname, "../../..");
// The command as the CLI entry registers it, run in a real Node 24 process.
const entry = `
import { Command } from "commander";
import { register } from "./cli/commands/train.ts";
const program = new Command("modelship").exitOverride();
register(program);
await program.parseAsync(process.argv.slice(1), { from: "user" });
`;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--no-warnings", "--input-type=module", "-e", entry, ...args], {
      cwd: repoDir,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let runsDir: string;
beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), "modelship-cli-"));
});
afterEach(async () => {
  await rm(runsDir, { recursive: true, force: true });
});

describe("modelship train", () => {
  it("trains with --set overrides and prints the run record with --json", async () => {
    const r = await cli([
      "train",
      "--config",
      "examples/penguins/modelship.yml",
      "--runs-dir",
      runsDir,
      "--run-id",
      "cli-1",
      "--set",
      "epochs=3",
      "--set",
      "earlyStopping.patience=1",
      "--json",
    ]);
    expect(r.stderr).toMatch(/training on wasm \(cpu\): 275 rows, 69 validation rows/);
    expect(r.stderr).toContain("backend tensorflow-gpu skipped: @tensorflow/tfjs-node-gpu is not installed");
    expect(r.stderr).toContain("backend tensorflow skipped: @tensorflow/tfjs-node is not installed");
    expect(r.stderr).toMatch(/epoch 1\/3/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { runDir: string; record: unknown };
    const record = RunRecordSchema.parse(out.record);
    expect(record).toMatchObject({ backend: "wasm", device: "cpu" });
    expect(record.skippedBackends?.map((s) => s.backend)).toEqual(["tensorflow-gpu", "tensorflow"]);
    expect(record.params).toMatchObject({ epochs: 3, earlyStopping: { patience: 1, monitor: "val_loss" } });
    expect(await readdir(runsDir)).toEqual(["cli-1"]);
  });

  it.each([
    [["--set", "epochs=0"], /train\.params\.epochs/],
    [["--set", "epochs"], /is not key=value/],
    [["--config", "nope.yml"], /cannot read nope\.yml/],
  ])("refuses %j with a message that says what to fix", async (extra, message) => {
    const r = await cli([
      "train",
      "--config",
      "examples/penguins/modelship.yml",
      "--runs-dir",
      runsDir,
      "--no-progress",
      ...extra,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(await readdir(runsDir)).toEqual([]);
  });

  it("exits 1, a failed check, when the exported model breaks the parity bound, and names the worst row", async () => {
    const dir = await mkdtemp(join(tmpdir(), "modelship-cli-cfg-"));
    try {
      const penguins = await readFile(join(repoDir, "examples/penguins/modelship.yml"), "utf8");
      // rtol 0 and atol 0 ask for bit-identical outputs: float32 kernels that sum in another order miss that.
      const config = join(dir, "modelship.yml");
      await writeFile(config, penguins.replace(/^train:\n/m, "train:\n  parity: { rtol: 0, atol: 0 }\n"));
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            "--no-warnings",
            "cli/main.ts",
            "train",
            "--config",
            config,
            "--runs-dir",
            runsDir,
            "--run-id",
            "strict",
            "--set",
            "epochs=2",
            "--no-progress",
          ],
          { cwd: repoDir },
        );
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stderr }));
      });
      expect(r.stderr).toMatch(/worst: validation row \d+, output \d: onnx [\d.e-]+, tfjs [\d.e-]+/);
      expect(r.stderr).toContain("[onnx-parity-failed]");
      expect(r.code).toBe(1);
      expect(await readdir(runsDir)).toEqual(["strict"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
