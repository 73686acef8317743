import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { descendantsOf, removeTestDir, running, runningIn, stopCli, type Proc } from "./stop-cli.ts";

const dirs: string[] = [];
afterAll(async () => {
  // Also what a failed test left running in them.
  await Promise.all(dirs.map(removeTestDir));
});

// A process that ignores SIGTERM and keeps writing a file in its folder, as a slot writes its log.
const STUBBORN = `process.on("SIGTERM", () => {}); console.log("ready"); let i = 0;
setInterval(() => require("fs").writeFileSync("log-" + process.pid + "-" + (i++ % 50), "x"), 5);`;

const KEEP_RUNNING = "setInterval(() => {}, 1000);";
const IGNORE_TERM = `process.on("SIGTERM", () => {}); ${KEEP_RUNNING}`;

/** A parent running `parentCode` in `cwd` that first starts one STUBBORN child there; resolves with both. */
async function parentOfStubborn(
  cwd: string,
  parentCode: string,
): Promise<{ child: ChildProcess; leftover: Proc }> {
  const code = `const c = require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(STUBBORN)}],
  { stdio: ["ignore", "inherit", "inherit"] });
console.log(c.pid); ${parentCode}`;
  const child = spawn(process.execPath, ["-e", code], { cwd, stdio: ["ignore", "pipe", "inherit"] });
  const pid = await new Promise<number>((resolve) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      // Its pid, then the child's "ready" (SIGTERM ignored from then on).
      if (out.includes("ready")) resolve(Number(/^\d+/.exec(out)?.[0]));
    });
  });
  const leftover = (await descendantsOf(child.pid!)).find((p) => p.pid === pid);
  if (!leftover) throw new Error(`process ${pid} is not below ${child.pid}`);
  return { child, leftover };
}

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ms-stop-cli-"));
  dirs.push(dir);
  return dir;
}

describe("stopCli", () => {
  it.each([
    // SIGTERM ends the parent but not what it started: that is stopped after it.
    ["a parent that exits on SIGTERM", KEEP_RUNNING, 15_000],
    // The parent outlasts the grace period: it and what it started are killed.
    ["a parent that ignores SIGTERM", IGNORE_TERM, 300],
  ])("%s: neither it nor its child runs afterwards", async (_name, parentCode, graceMs) => {
    const { child, leftover } = await parentOfStubborn(await folder(), parentCode);
    expect(await running(leftover)).toBe(true);
    await stopCli(child, graceMs);
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    expect(await running(leftover)).toBe(false);
  });
});

describe("removeTestDir", () => {
  it("stops what still runs in the folder (a killed parent's orphan writing into it), then removes it", async () => {
    const dir = await folder();
    const { child, leftover } = await parentOfStubborn(dir, KEEP_RUNNING);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    expect((await runningIn(dir)).map((p) => p.pid)).toEqual([leftover.pid]);
    await removeTestDir(dir);
    expect(existsSync(dir)).toBe(false);
    expect(await running(leftover)).toBe(false);
  });
});
