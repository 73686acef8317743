import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getOctokit } from "@actions/github";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishPlotAssets, type AssetsGitPort } from "../../adapters/github/publish-plot-assets.ts";
import { readRunDir } from "../../adapters/run-dir/read-run-dir.ts";
import { writePlots } from "../../adapters/plots/write-run-plots.ts";
import { ensureRepo, startFakeGitHub, type FakeGitHub } from "../support/fake-github/fake-github.ts";
import { createWorkspace, webhookExample } from "./action-workspace.ts";
import { runAction, type ActionRun } from "./run-action.ts";

let fake: FakeGitHub;
let ws: string;
let temp: string;
beforeAll(async () => {
  fake = await startFakeGitHub();
  ensureRepo(fake.state, "Codertocat", "Hello-World");
  ws = await createWorkspace();
  temp = await mkdtemp(join(tmpdir(), "modelship-runner-temp-"));
  const run = await readRunDir(join(ws, "runs/iris-candidate"));
  await writePlots(join(ws, "runs/iris-candidate"), {
    candidate: { label: "candidate", history: run.history! },
  });
});
afterAll(async () => {
  expect(fake.invalid).toEqual([]);
  await fake.close();
  await rm(ws, { recursive: true, force: true });
  await rm(temp, { recursive: true, force: true });
});

/** `command: report` of iris-candidate against the iris-baseline run directory, on a pull request. */
async function report(
  env: Record<string, string> = {},
): Promise<{ run: ActionRun; pr: number; before: number }> {
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
    env: { RUNNER_TEMP: temp, ...env },
  });
  return { run, pr, before };
}

/** The SVG committed for a plot, from the fake GitHub's Git database. */
function committedSvg(path: string): string {
  const repo = fake.repo("Codertocat", "Hello-World");
  const commit = repo.commits[repo.refs["refs/heads/modelship-assets"]!]!;
  const entry = repo.trees[commit.tree]!.find((e) => e.path.endsWith(path))!;
  return repo.blobs[entry.sha]!.toString("utf8");
}

describe("command: report with plots", () => {
  it("draws the candidate next to the baseline, commits the PNGs to modelship-assets and shows them instead of Mermaid", async () => {
    const { run, pr, before } = await report();
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    // The checkout's CLI drew them; the folder is the plots-dir output the template uploads.
    expect(run.stdout).toContain("modelship: CLI from the Action's checkout");
    expect(run.outputs["plots-dir"]).toBe(join(temp, "modelship-plots"));
    expect(JSON.parse(await readFile(join(temp, "modelship-plots", "comparison.json"), "utf8"))).toEqual({
      candidate: { runId: "20261126-174233-9b8e7d", label: "20261126-174233-9b8e7d" },
      baseline: { runId: "20261101-091502-3f2a1c", label: "20261101-091502-3f2a1c" },
    });
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
    // Both runs' curves, not the candidate's alone.
    const svg = committedSvg("learning-curves-loss.svg");
    expect(svg).toContain("20261101-091502-3f2a1c");
    expect(svg).toContain("20261126-174233-9b8e7d");
  });

  it("falls back to the run's own plots, with a warning that says why, when the CLI cannot draw", async () => {
    const cli = join(temp, "broken-cli.js");
    await writeFile(
      cli,
      'process.stderr.write("error: no renderer here [plots-failed]\\n"); process.exit(2);\n',
    );
    await chmod(cli, 0o755);
    const { run, pr } = await report({ MODELSHIP_CLI: cli });
    expect(run.code).toBe(0);
    expect(run.outputs["plots-dir"]).toBeUndefined();
    const why =
      "plots with the baseline were not drawn: `modelship plots` exited with 2: error: no renderer here [plots-failed]";
    expect(run.stdout).toContain(`modelship: warning: ${why}`);
    expect(run.summary).toContain(`> [!WARNING]\n> ${why}`);
    // The run's own plots, drawn while training: the candidate alone.
    const svg = committedSvg("learning-curves-loss.svg");
    expect(svg).toContain("candidate");
    expect(svg).not.toContain("20261101-091502-3f2a1c");
    const comment = fake.repo("Codertocat", "Hello-World").comments.find((c) => c.issueNumber === pr)!;
    expect(comment.body).toContain("learning-curves-loss.png?raw=true");
  });
});

describe("publishPlotAssets", () => {
  it("makes no new commit for images the branch holds already, so the links stay the same", async () => {
    ensureRepo(fake.state, "Codertocat", "Same-Images");
    const octokit = getOctokit("ghs_t", { baseUrl: fake.url }) as unknown as AssetsGitPort;
    const publish = () =>
      publishPlotAssets(octokit, {
        owner: "Codertocat",
        repo: "Same-Images",
        serverUrl: "https://github.com",
        folder: "pr-1/x",
        runDir: join(ws, "runs/iris-candidate"),
        plots: [
          { title: "Loss", png: "plots/learning-curves-loss.png", svg: "plots/learning-curves-loss.svg" },
        ],
        message: "m",
      });
    const first = await publish();
    const before = fake.calls.length;
    const again = await publish();
    expect(again).toEqual(first);
    expect(fake.calls.slice(before).map((c) => c.operationId)).toEqual([
      "git/create-blob",
      "git/create-blob",
      "git/get-ref",
      "git/get-commit",
      "git/create-tree",
    ]);
  });

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
