import { execFile } from "node:child_process";
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
    [false, "failed"],
    [true, "ok"],
  ])("starts a worker from an --input-type=module script (filtered %s)", async (filtered, expected) => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script(filtered)]);
    expect(stdout.trim()).toBe(expected);
  });
});
