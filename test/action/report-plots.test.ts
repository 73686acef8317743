import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishPlotAssets, type AssetsGitPort } from "../../adapters/github/publish-plot-assets.ts";
import { readRunDir } from "../../adapters/run-dir/read-run-dir.ts";
import { writePlots } from "../../adapters/plots/write-run-plots.ts";
import { ensureRepo, startFakeGitHub, type FakeGitHub } from "../support/fake-github/fake-github.ts";
import { createWorkspace, webhookExample } from "./action-workspace.ts";
import { runAction } from "./run-action.ts";

let fake: FakeGitHub;
let ws: string;
beforeAll(async () => {
  fake = await startFakeGitHub();
  ensureRepo(fake.state, "Codertocat", "Hello-World");
  ws = await createWorkspace();
  const run = await readRunDir(join(ws, "runs/iris-candidate"));
  await writePlots(join(ws, "runs/iris-candidate"), {
    candidate: { label: "candidate", history: run.history! },
  });
});
afterAll(async () => {
  expect(fake.invalid).toEqual([]);
  await fake.close();
  await rm(ws, { recursive: true, force: true });
});

describe("command: report with plots", () => {
  it("commits the PNGs to modelship-assets and shows them in the PR comment instead of Mermaid", async () => {
    const payload = await webhookExample("pull_request", "opened");
    const pr = (payload["pull_request"] as { number: number }).number;
    const before = fake.calls.length;
    const run = await runAction({
      workspace: ws,
      inputs: {
        command: "report",
        "run-dir": "runs/iris-candidate",
        baseline: "runs/iris-baseline",
        "github-token": "ghs_t",
      },
      apiUrl: fake.url,
      event: { name: "pull_request", payload },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const calls = fake.calls.slice(before);
    expect(calls.map((c) => c.operationId)).toEqual([
      // A PNG and an SVG per plot.
      "git/create-blob",
      "git/create-blob",
      "git/create-blob",
      "git/create-blob",
      "git/get-ref",
      "git/create-tree",
      "git/create-commit",
      "git/create-ref",
      // The run's record, kept on modelship-runs.
      "git/get-ref",
      "git/create-tree",
      "git/create-commit",
      "git/create-ref",
      "issues/list-comments",
      "issues/create-comment",
    ]);
    const recordTree = calls[9]!.body as { tree: Array<{ path: string; content: string }> };
    expect(recordTree.tree.map((t) => t.path)).toEqual([
      "runs/20261126-174233-9b8e7d/run.json",
      "runs/20261126-174233-9b8e7d/metrics.json",
      "runs/20261126-174233-9b8e7d/params.json",
      "runs/20261126-174233-9b8e7d/history.json",
    ]);
    expect(recordTree.tree[0]!.content).toBe(
      await readFile(join(ws, "runs/iris-candidate/run.json"), "utf8"),
    );
    expect(fake.repo("Codertocat", "Hello-World").refs["refs/heads/modelship-runs"]).toMatch(
      /^[0-9a-f]{40}$/,
    );
    const blob = calls[0]!.body as { content: string; encoding: string };
    expect(blob.encoding).toBe("base64");
    expect(
      [...Buffer.from(blob.content, "base64").subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""),
    ).toBe("PNG");
    const tree = calls[5]!.body as { tree: Array<{ path: string; mode: string; type: string }> };
    expect(tree.tree.map((t) => t.path)).toEqual([
      `pr-${pr}/20261126-174233-9b8e7d/learning-curves-loss.png`,
      `pr-${pr}/20261126-174233-9b8e7d/learning-curves-loss.svg`,
      `pr-${pr}/20261126-174233-9b8e7d/learning-curves-metrics.png`,
      `pr-${pr}/20261126-174233-9b8e7d/learning-curves-metrics.svg`,
    ]);
    expect(calls[7]!.body).toMatchObject({ ref: "refs/heads/modelship-assets" });
    const commit = fake.repo("Codertocat", "Hello-World").refs["refs/heads/modelship-assets"]!;
    const comment = fake.repo("Codertocat", "Hello-World").comments.find((c) => c.issueNumber === pr)!;
    const base = `https://github.com/Codertocat/Hello-World/blob/${commit}/pr-${pr}/20261126-174233-9b8e7d`;
    expect(comment.body).toContain(
      `[![Loss per epoch](${base}/learning-curves-loss.png?raw=true)](${base}/learning-curves-loss.svg?raw=true)`,
    );
    // The data section: both runs' data (the fixtures record a fingerprint, no schema).
    expect(comment.body).toContain("### Data\n\n✅ Same data as the baseline");
    expect(comment.body).not.toContain("```mermaid");
    expect(await readFile(join(ws, ".modelship/reports/iris.md"), "utf8")).toBe(comment.body);
  });
});

describe("publishPlotAssets", () => {
  it("reports a branch it may not write instead of failing the report", async () => {
    const forbidden = Object.assign(new Error("Resource not accessible by integration"), { status: 403 });
    const port = {
      rest: {
        git: {
          createBlob: () => Promise.reject(forbidden),
        },
      },
    } as unknown as AssetsGitPort;
    const out = await publishPlotAssets(port, {
      owner: "o",
      repo: "r",
      serverUrl: "https://github.com",
      folder: "pr-1/x",
      runDir: join(ws, "runs/iris-candidate"),
      plots: [{ title: "Loss", png: "plots/learning-curves-loss.png" }],
      message: "m",
    });
    expect(out).toEqual({
      ok: false,
      reason: "assets-forbidden",
      message: expect.stringContaining("contents: write"),
    });
  });
});
