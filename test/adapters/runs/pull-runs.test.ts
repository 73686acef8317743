import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexRuns } from "../../../adapters/runs/index-runs.ts";
import { pullRuns } from "../../../adapters/runs/pull-runs.ts";

const FIXTURE = fileURLToPath(new URL("../../fixtures/runs/iris-candidate", import.meta.url));
let root: string;
let origin: string;
let writer: string;
let clone: string;
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" });

/** The branch as the Action's report command leaves it: runs/<id>/ with the record files. */
async function recordRun(id: string, accuracy: number): Promise<void> {
  const dir = join(writer, "runs", id);
  await cp(FIXTURE, dir, { recursive: true });
  const record = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(dir, "run.json"), JSON.stringify({ ...record, runId: id }));
  await writeFile(join(dir, "metrics.json"), JSON.stringify({ accuracy }));
  git(writer, "add", ".");
  git(writer, "commit", "-qm", `run ${id}`);
  git(writer, "push", "-q", "origin", "modelship-runs");
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ms-pull-"));
  origin = join(root, "origin.git");
  writer = join(root, "writer");
  clone = join(root, "clone");
  git(root, "init", "-q", "--bare", origin);
  git(root, "init", "-q", writer);
  for (const d of [writer]) {
    git(d, "config", "user.email", "t@example.com");
    git(d, "config", "user.name", "T");
  }
  git(writer, "remote", "add", "origin", origin);
  git(writer, "checkout", "-q", "--orphan", "modelship-runs");
  await recordRun("ci-101", 0.91);
  git(root, "clone", "-q", origin, clone);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("pullRuns", () => {
  it("copies the branch's run records into the run history, then only what changed", async () => {
    const first = await pullRuns({ workspace: clone });
    expect(first).toEqual({ remote: "origin", pulled: ["ci-101"], unchanged: [] });
    await recordRun("ci-102", 0.95);
    const second = await pullRuns({ workspace: clone });
    expect(second).toEqual({ remote: "origin", pulled: ["ci-102"], unchanged: ["ci-101"] });
    const index = await indexRuns({ workspace: clone });
    expect(index.runs.map((r) => [r.id, r.source, r.metrics.accuracy])).toEqual([
      ["ci-101", "pulled", 0.91],
      ["ci-102", "pulled", 0.95],
    ]);
  });

  it.each([["no such remote", "upstream", "runs-pull-failed"]])(
    "names the problem: %s",
    async (_what, remote, code) => {
      await expect(pullRuns({ workspace: clone, remote })).rejects.toMatchObject({ code });
    },
  );

  it("says when no CI run was recorded yet", async () => {
    const empty = join(root, "empty.git");
    git(root, "init", "-q", "--bare", empty);
    git(clone, "remote", "add", "empty", empty);
    await expect(pullRuns({ workspace: clone, remote: "empty" })).rejects.toMatchObject({
      code: "runs-branch-missing",
    });
  });
});
