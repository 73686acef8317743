import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const MODULE = fileURLToPath(new URL("../../../adapters/process/worker-exec-argv.ts", import.meta.url));

/** A worker started from `node --input-type=module -e`, with and without the filtered flags. */
const script = (filtered: boolean) => `
import { Worker } from "node:worker_threads";
import { workerExecArgv } from ${JSON.stringify(MODULE)};
const worker = new Worker("require('node:worker_threads').parentPort.postMessage('ok')", {
  eval: true,
  ${filtered ? "execArgv: workerExecArgv()," : ""}
});
worker.on("message", (m) => { console.log(m); process.exit(0); });
worker.on("error", () => { console.log("failed"); process.exit(0); });
`;

describe("workerExecArgv", () => {
  it.each([
    ["--input-type=module, Node's default flags", ["--input-type=module"], false, "failed"],
    ["--input-type=module, workerExecArgv", ["--input-type=module"], true, "ok"],
    [
      "--input-type=module and a heap limit, workerExecArgv",
      ["--input-type=module", "--max-old-space-size=192"],
      true,
      "ok",
    ],
  ])("a worker started under %s", async (_label, flags, filtered, expected) => {
    const { stdout } = await run(process.execPath, [...flags, "-e", script(filtered)]);
    expect(stdout.trim()).toBe(expected);
  });

  it("inherits the process's flags otherwise, a heap limit included", async () => {
    const code = script(true);
    const dir = await mkdtemp(join(tmpdir(), "modelship-worker-argv-"));
    try {
      const file = join(dir, "start.mjs");
      await writeFile(file, code);
      const { stdout } = await run(process.execPath, ["--max-old-space-size=192", file]);
      expect(stdout.trim()).toBe("ok");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
