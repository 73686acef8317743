import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexRuns, resolveRun } from "../../../adapters/runs/index-runs.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { FIVE_RUNS, writeRuns } from "./run-workspace.ts";

let ws: string;
beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), "ms-runs-index-"));
  await writeRuns(ws, FIVE_RUNS);
  // A folder with a broken run.json, a staging folder and a folder without a run: only the first is reported.
  await mkdir(join(ws, ".modelship/runs/broken"), { recursive: true });
  await writeFile(join(ws, ".modelship/runs/broken/run.json"), "{ not json");
  await mkdir(join(ws, ".modelship/runs/.tmp-r9-abcd"), { recursive: true });
  await writeFile(join(ws, ".modelship/runs/.tmp-r9-abcd/run.json"), "{}");
  await mkdir(join(ws, ".modelship/runs/empty"), { recursive: true });
});
afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
});

describe("indexRuns", () => {
  it("finds local runs, nested sweep trials and pulled CI records, newest first", async () => {
    const index = await indexRuns({ workspace: ws });
    expect(index.runs.map((r) => [r.id, r.source, r.path, r.status])).toEqual([
      ["ci-4242", "pulled", ".modelship/runs/pulled/ci-4242", "succeeded"],
      ["study-a-t01", "local", ".modelship/runs/study-a/study-a-t01", "succeeded"],
      ["r3-fast", "local", ".modelship/runs/r3-fast", "failed"],
      ["r2-wide", "local", ".modelship/runs/r2-wide", "succeeded"],
      ["r1-baseline", "local", ".modelship/runs/r1-baseline", "succeeded"],
    ]);
    expect(index.unreadable).toEqual([
      expect.objectContaining({ path: ".modelship/runs/broken", code: "run-file-invalid-json" }),
    ]);
    const r2 = index.runs.find((r) => r.id === "r2-wide")!;
    expect(r2.params).toMatchObject({ learningRate: 0.01, optimizer: "sgd", "layers.0.units": 32 });
    expect(r2.tags).toMatchObject({
      "mlflow.source.git.commit": expect.stringMatching(/^9b8e/),
      "modelship.model": "iris",
    });
  });

  it("is empty when the workspace has no runs folder", async () => {
    const empty = await mkdtemp(join(tmpdir(), "ms-runs-empty-"));
    try {
      expect(await indexRuns({ workspace: empty })).toMatchObject({ runs: [], unreadable: [] });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe("resolveRun", () => {
  it.each([
    ["r2-wide", "r2-wide"],
    ["r2", "r2-wide"],
    ["study-a-t01", "study-a-t01"],
    [".modelship/runs/pulled/ci-4242", "ci-4242"],
  ])("%s → %s", async (ref, id) => {
    const index = await indexRuns({ workspace: ws });
    expect((await resolveRun(index, ref)).id).toBe(id);
  });

  it.each([
    ["r", "run-ambiguous"],
    ["nope", "run-not-found"],
  ])("%s fails with %s", async (ref, code) => {
    const index = await indexRuns({ workspace: ws });
    const err = await resolveRun(index, ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe(code);
  });
});
