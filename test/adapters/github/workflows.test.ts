import { mkdtemp, readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dispatchWorkflow,
  downloadRunArtifact,
  findRunByCorrelationId,
  trainRunTitle,
} from "../../../adapters/github/workflows.ts";
import { ModelshipError } from "../../../core/errors.ts";
import {
  addPull,
  startFakeGitHub,
  type FakeGitHub,
  type FakeRepo,
} from "../../support/fake-github/fake-github.ts";
import type { ZipEntry } from "../../support/fake-github/write-zip.ts";
import { makeRunDir } from "../registry-git/git-fixtures.ts";
import { CLIENTS, actionsClient } from "./github-clients.ts";

let gh: FakeGitHub;
let repo: FakeRepo;
let headSha: string;
let runDir: string;

beforeAll(async () => {
  gh = await startFakeGitHub();
  repo = gh.repo("acme", "models");
  headSha = addPull(gh.state, repo, { number: 4, headRef: "tune-lr" }).head.sha;
  runDir = await makeRunDir({ runId: "2026-02-01T10-00-00-ab12" });
  // The training workflow's runs, as GitHub lists them: newest first by id.
  const run = (id: number, correlationId: string) => ({
    id,
    workflowFile: "modelship-train.yml",
    name: "modelship-train",
    displayTitle: trainRunTitle(correlationId),
    event: "workflow_dispatch",
    status: "completed" as const,
    conclusion: "success",
    headSha,
    headBranch: "tune-lr",
    runAttempt: 1,
    createdAt: "2026-02-01T10:00:00Z",
  });
  for (let i = 0; i < 130; i++) repo.workflowRuns.push(run(100 + i, `other-${i}`));
  repo.workflowRuns.push(run(50, "c-wanted"), run(51, "c-wanted-not"));
});
afterAll(() => gh.close());

async function fresh(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "modelship-artifact-")), "run");
}

describe("dispatchWorkflow", () => {
  it.each(CLIENTS)("dispatches with string inputs on the head branch (%s client)", async (_kind, make) => {
    const inputs = {
      pr_number: "4",
      head_sha: headSha,
      params: '{"learningRate":0.01}',
      correlation_id: "c-1",
      trigger: "comment",
    };
    await dispatchWorkflow(make(gh), {
      owner: "acme",
      repo: "models",
      workflow: "modelship-train.yml",
      ref: "tune-lr",
      inputs,
    });
    expect(gh.callsTo("actions/create-workflow-dispatch").at(-1)).toMatchObject({
      path: "/repos/acme/models/actions/workflows/modelship-train.yml/dispatches",
      status: 204,
      body: { ref: "tune-lr", inputs },
    });
    expect(repo.dispatches.at(-1)).toEqual({ workflowId: "modelship-train.yml", ref: "tune-lr", inputs });
    expect(gh.invalid).toEqual([]);
  });

  it.each([
    ["eleven inputs", Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`in${i}`, "x"]))],
    ["an input name with a space", { "bad name": "x" }],
  ])("refuses %s before any request", async (_label, inputs) => {
    const before = gh.calls.length;
    const err = await dispatchWorkflow(actionsClient(gh), {
      owner: "acme",
      repo: "models",
      workflow: "modelship-train.yml",
      ref: "tune-lr",
      inputs,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe("workflow-inputs-invalid");
    expect(gh.calls.length).toBe(before);
  });
});

describe("findRunByCorrelationId", () => {
  it("finds the run by the whole id in its title, past the first page", async () => {
    const before = gh.calls.length;
    const run = await findRunByCorrelationId(actionsClient(gh), {
      owner: "acme",
      repo: "models",
      workflow: "modelship-train.yml",
      correlationId: "c-wanted",
    });
    expect(run).toMatchObject({ id: 50, displayTitle: "modelship train c-wanted", headSha });
    expect(gh.calls.slice(before).map((c) => [c.operationId, c.query.page, c.query.event])).toEqual([
      ["actions/list-workflow-runs", "1", "workflow_dispatch"],
      ["actions/list-workflow-runs", "2", "workflow_dispatch"],
    ]);
  });

  it("answers undefined when no run carries the id", async () => {
    expect(
      await findRunByCorrelationId(actionsClient(gh), {
        owner: "acme",
        repo: "models",
        workflow: "modelship-train.yml",
        correlationId: "c-none",
        headSha,
      }),
    ).toBeUndefined();
  });
});

describe("downloadRunArtifact", () => {
  let nextArtifact = 900;
  function artifact(
    runId: number,
    files: { dir?: string; files?: ZipEntry[] },
    extra: { expired?: boolean } = {},
  ): string {
    const name = `modelship-run-a${nextArtifact}`;
    repo.artifacts.push({ id: nextArtifact++, runId, name, ...files, ...extra });
    return name;
  }

  it.each(CLIENTS)("downloads, extracts and verifies a run directory (%s client)", async (_kind, make) => {
    const name = artifact(50, { dir: runDir });
    const dest = await fresh();
    const result = await downloadRunArtifact(make(gh), {
      owner: "acme",
      repo: "models",
      runId: 50,
      name,
      destDir: dest,
    });
    if (!result.ok) throw new Error(result.message);
    expect(result.run.record.runId).toBe("2026-02-01T10-00-00-ab12");
    expect(await readFile(join(dest, "model/model.onnx"))).toEqual(
      await readFile(join(runDir, "model/model.onnx")),
    );
    expect(gh.callsTo("actions/download-artifact").at(-1)?.path).toMatch(/\/actions\/artifacts\/\d+\/zip$/);
    expect(gh.invalid).toEqual([]);
  });

  const runJson = async () => (await readFile(join(runDir, "run.json"))).toString();
  it.each([
    [
      "a path escaping the directory",
      async () => [
        { name: "run.json", data: await runJson() },
        { name: "../evil.sh", data: "rm -rf /" },
      ],
      "artifact-unsafe",
    ],
    [
      "an absolute path",
      async () => [
        { name: "run.json", data: await runJson() },
        { name: "/etc/cron.d/x", data: "x" },
      ],
      "artifact-unsafe",
    ],
    [
      "a symbolic link",
      async () => [
        { name: "run.json", data: await runJson() },
        { name: "model/model.onnx", data: "/etc/passwd", symlink: true },
      ],
      "artifact-unsafe",
    ],
    [
      "a backslash path",
      async () => [
        { name: "run.json", data: await runJson() },
        { name: "..\\evil", data: "x" },
      ],
      "artifact-unsafe",
    ],
    [
      "a zip bomb over the cap",
      async () => [
        { name: "run.json", data: await runJson() },
        { name: "big.bin", data: Buffer.alloc(3_000_000) },
      ],
      "artifact-too-large",
    ],
    [
      "files that are not a run directory",
      async () => [{ name: "notes.txt", data: "hello" }],
      "run-dir-invalid",
    ],
  ])("refuses %s and leaves nothing behind", async (_label, files, reason) => {
    const name = artifact(50, { files: await files() });
    const dest = await fresh();
    const result = await downloadRunArtifact(actionsClient(gh), {
      owner: "acme",
      repo: "models",
      runId: 50,
      name,
      destDir: dest,
      maxBytes: 1_000_000,
    });
    expect(result).toMatchObject({ ok: false, reason });
    expect(await readdir(join(dest, "..")).then((l) => l.filter((n) => !n.startsWith(".")))).toEqual([]);
  });

  it.each([
    ["missing", () => "no-such-artifact", "artifact-missing"],
    ["expired", () => artifact(50, { files: [] }, { expired: true }), "artifact-expired"],
  ])("reports an artifact that is %s", async (_label, name, reason) => {
    const result = await downloadRunArtifact(actionsClient(gh), {
      owner: "acme",
      repo: "models",
      runId: 50,
      name: name(),
      destDir: await fresh(),
    });
    expect(result).toMatchObject({ ok: false, reason });
  });

  it("downloads exactly a pinned artifact and refuses one whose digest differs", async () => {
    const older = artifact(50, { dir: runDir });
    repo.artifacts.push({
      id: nextArtifact++,
      runId: 50,
      name: older,
      files: [{ name: "x", data: "rerun" }],
    });
    const pinnedId = nextArtifact - 2;
    const pinned = await downloadRunArtifact(actionsClient(gh), {
      owner: "acme",
      repo: "models",
      runId: 50,
      name: older,
      destDir: await fresh(),
      pin: { artifactId: pinnedId, digest: null },
    });
    if (!pinned.ok) throw new Error(pinned.message);
    expect(pinned).toMatchObject({
      artifactId: pinnedId,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    const tampered = await downloadRunArtifact(actionsClient(gh), {
      owner: "acme",
      repo: "models",
      runId: 50,
      name: older,
      destDir: await fresh(),
      pin: { artifactId: pinnedId, digest: `sha256:${"0".repeat(64)}` },
    });
    expect(tampered).toMatchObject({ ok: false, reason: "artifact-invalid" });
    // Without a pin, the newest upload of that name (a re-run attempt) is the one.
    const newest = await downloadRunArtifact(actionsClient(gh), {
      owner: "acme",
      repo: "models",
      runId: 50,
      name: older,
      destDir: await fresh(),
    });
    expect(newest).toMatchObject({ ok: false, reason: "run-dir-invalid" });
  });

  it("refuses a destination that is not empty", async () => {
    const dest = await fresh();
    await mkdir(dest, { recursive: true });
    await writeFile(join(dest, "keep.txt"), "mine");
    const name = artifact(50, { dir: runDir });
    await expect(
      downloadRunArtifact(actionsClient(gh), {
        owner: "acme",
        repo: "models",
        runId: 50,
        name,
        destDir: dest,
      }),
    ).rejects.toMatchObject({ code: "destination-not-empty" });
    expect(await readdir(dest)).toEqual(["keep.txt"]);
  });
});
