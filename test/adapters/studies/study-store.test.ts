import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  lockStudy,
  readStudy,
  studyPaths,
  updateStudy,
  writeStudy,
} from "../../../adapters/studies/study-store.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { makeStudy, trial } from "../../core/sweep/study-fixtures.ts";

const now = () => new Date("2026-01-02T03:04:05Z");
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "ms-study-store-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (err) {
    return err instanceof ModelshipError ? err.code : String(err);
  }
}

describe("study storage", () => {
  it("round-trips a study and leaves no temporary file behind", async () => {
    const paths = studyPaths(root, "s");
    const study = makeStudy({ trials: [trial(0, "complete", [0.5, null, 0.25])] });
    await writeStudy(paths.study, study);
    expect(await readStudy(paths.study)).toEqual(study);
    expect(await readdir(paths.dir)).toEqual(["study.json"]);
  });

  it("reads a missing study as null", async () => {
    expect(await readStudy(studyPaths(root, "none").study)).toBeNull();
  });

  it.each([
    ["not JSON", "{ not json"],
    [
      "a wrong state",
      JSON.stringify({ ...makeStudy(), trials: [{ ...trial(0, "complete", [1]), state: "done" }] }),
    ],
    ["a missing field", JSON.stringify({ ...makeStudy(), sampler: undefined })],
  ])("reports %s as study-file-invalid", async (_name, text) => {
    const paths = studyPaths(root, "bad");
    await mkdir(paths.dir, { recursive: true });
    await writeFile(paths.study, text);
    expect(await codeOf(readStudy(paths.study))).toBe("study-file-invalid");
  });

  it.each(["../up", "a/b", "", ".hidden", "x".repeat(65)])("refuses the study name %j", (name) => {
    expect(() => studyPaths(root, name)).toThrow(/not usable as a folder name/);
  });
});

describe("study lock", () => {
  it("refuses a second holder while the first is alive, and frees on release", async () => {
    const paths = studyPaths(root, "s");
    await mkdir(paths.dir, { recursive: true });
    const release = await lockStudy(paths.lock, now);
    expect(await codeOf(lockStudy(paths.lock, now))).toBe("study-locked");
    await release();
    const again = await lockStudy(paths.lock, now);
    await again();
  });

  it("takes over a lock whose process is gone", async () => {
    const paths = studyPaths(root, "s");
    await mkdir(paths.dir, { recursive: true });
    // The pid of a process that has exited.
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
    await writeFile(paths.lock, JSON.stringify({ pid: gone, host: hostname(), at: "2026-01-01T00:00:00Z" }));
    const release = await lockStudy(paths.lock, now);
    expect(JSON.parse(await readFile(paths.lock, "utf8"))).toMatchObject({ pid: process.pid });
    await release();
  });

  it("does not take over a lock held on another host", async () => {
    const paths = studyPaths(root, "s");
    await mkdir(paths.dir, { recursive: true });
    await writeFile(
      paths.lock,
      JSON.stringify({ pid: 1, host: `${hostname()}-elsewhere`, at: "2026-01-01T00:00:00Z" }),
    );
    expect(await codeOf(lockStudy(paths.lock, now))).toBe("study-locked");
  });

  it("updateStudy writes what the update returns, and nothing when it throws", async () => {
    const paths = studyPaths(root, "u");
    const created = await updateStudy(paths, now, (stored) => {
      expect(stored).toBeNull();
      return { study: makeStudy({ name: "u" }), result: 1 };
    });
    expect(created).toBe(1);
    expect((await readStudy(paths.study))?.name).toBe("u");
    await expect(
      updateStudy(paths, now, () => {
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    expect((await readStudy(paths.study))?.name).toBe("u");
    // The lock was released both times.
    expect(await readdir(paths.dir)).toEqual(["study.json"]);
  });
});
