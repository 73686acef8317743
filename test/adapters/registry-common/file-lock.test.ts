import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { acquireFileLock, withFileLock } from "../../../adapters/registry-common/file-lock.ts";
import { ModelshipError } from "../../../core/errors.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function lockPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ms-file-lock-"));
  dirs.push(dir);
  return join(dir, "lock");
}

// The pid of a process that has exited.
const GONE = spawnSync(process.execPath, ["-e", "0"]).pid;
const HOUR = 3_600_000;

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "acquired",
    (err: unknown) => (err instanceof ModelshipError ? err.code : String(err)),
  );

describe("acquireFileLock", () => {
  it.each([
    [
      "a live holder on this host, however old",
      { pid: process.pid, host: hostname() },
      HOUR,
      "cache-lock-timeout",
    ],
    ["a gone holder on this host", { pid: GONE, host: hostname() }, 0, "acquired"],
    ["another host's fresh lock", { pid: 1, host: `${hostname()}-elsewhere` }, 0, "cache-lock-timeout"],
    ["another host's lock past staleMs", { pid: 1, host: `${hostname()}-elsewhere` }, HOUR, "acquired"],
    ["a fresh lock with no holder written yet", null, 0, "cache-lock-timeout"],
  ] as const)("%s: %s", async (_what, holder, ageMs, expected) => {
    const path = await lockPath();
    await writeFile(path, holder ? JSON.stringify({ ...holder, at: "2026-01-01T00:00:00Z" }) : "");
    const then = new Date(Date.now() - ageMs);
    await utimes(path, then, then);
    const got = await codeOf(
      acquireFileLock(path, { waitMs: 50, staleMs: 60_000 }).then((release) => release()),
    );
    expect(got).toBe(expected);
  });

  it("waits for a live holder to release, then takes the lock", async () => {
    const path = await lockPath();
    const first = await acquireFileLock(path);
    setTimeout(() => void first(), 100);
    const order: string[] = [];
    await withFileLock(path, async () => {
      order.push("second");
      expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ pid: process.pid, host: hostname() });
    });
    expect(order).toEqual(["second"]);
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });

  it("throws the caller's error at once with waitMs 0", async () => {
    const path = await lockPath();
    const release = await acquireFileLock(path);
    const held = (who: string) => new ModelshipError({ code: "study-locked", message: `held by ${who}` });
    await expect(acquireFileLock(path, { waitMs: 0, held })).rejects.toThrow(
      new RegExp(`held by pid ${process.pid} on ${hostname()}`),
    );
    await release();
  });
});
