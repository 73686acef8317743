import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { reportMarker } from "../../core/report/render-markdown.ts";
import { botComments, OWNER, REPO, startHarness, type Harness } from "./bot-harness.ts";
import { registerBaseline, trainOnPr } from "./train-on-pr.ts";

// The App's PR report shows the plots as images committed to the repository's modelship-assets
// branch (through the fake GitHub's Git database), with Mermaid as the fallback.

let work: string;
let h: Harness;

const sticky = (): string => botComments(h, 1).find((b) => b.includes(reportMarker("iris")))!;
const ops = (): string[] => h.fake.calls.map((c) => c.operationId);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modelship-report-images-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  expect(h.fake.invalid).toEqual([]);
  await h.close();
});

describe("the App's PR report with images", () => {
  it("draws the candidate next to the baseline, commits PNG and SVG to modelship-assets and links them", async () => {
    h = await startHarness();
    await registerBaseline(h, work);
    await trainOnPr(h, work);
    const commit = h.repo.refs["refs/heads/modelship-assets"];
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    const tree = h.repo.trees[h.repo.commits[commit!]!.tree]!;
    const folder = "pr-1/20261126-174233-9b8e7d";
    expect(tree.map((e) => e.path)).toEqual([
      `${folder}/learning-curves-loss.png`,
      `${folder}/learning-curves-loss.svg`,
      `${folder}/learning-curves-metrics.png`,
      `${folder}/learning-curves-metrics.svg`,
    ]);
    // The blobs are the real files: a PNG signature, and SVGs whose legend names both runs.
    const png = h.repo.blobs[tree[0]!.sha]!;
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    const svg = h.repo.blobs[tree[1]!.sha]!.toString("utf8");
    expect(svg).toContain("<svg");
    expect(svg).toContain("v1.0.0");
    expect(svg).toContain("run 4242");
    const base = `https://github.com/${OWNER}/${REPO}/blob/${commit}/${folder}`;
    const body = sticky();
    expect(body).toContain(
      `[![Loss per epoch](${base}/learning-curves-loss.png?raw=true)](${base}/learning-curves-loss.svg?raw=true)`,
    );
    expect(body).not.toContain("```mermaid");
    // The data section compares the runs' data with the baseline's.
    expect(body).toContain("### Data\n\n✅ Same data as the baseline");
    // The check run shows the same images.
    expect(h.repo.checkRuns[0]!.output.summary).toContain(`${base}/learning-curves-metrics.png?raw=true`);
  });

  it("keeps the Mermaid charts, and says why, when the assets branch cannot be written", async () => {
    h = await startHarness();
    await registerBaseline(h, work);
    h.repo.gitReadOnly = true;
    await trainOnPr(h, work);
    expect(h.repo.refs["refs/heads/modelship-assets"]).toBeUndefined();
    expect(ops()).toContain("git/create-blob");
    const body = sticky();
    expect(body).toContain("```mermaid");
    expect(body).not.toContain("![");
    expect(body).toContain(
      "> The plots are shown as Mermaid charts: cannot write the modelship-assets branch (HTTP 403)",
    );
    expect(h.repo.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "success" });
  });

  it("without a baseline shows the plots the run drew itself", async () => {
    h = await startHarness();
    await trainOnPr(h, work);
    const commit = h.repo.refs["refs/heads/modelship-assets"]!;
    const tree = h.repo.trees[h.repo.commits[commit]!.tree]!;
    const svg = h.repo.blobs[tree.find((e) => e.path.endsWith("loss.svg"))!.sha]!.toString("utf8");
    // Drawn at training time: its only run is the candidate's own id.
    expect(svg).toContain("20261126-174233-9b8e7d");
    expect(svg).not.toContain("v1.0.0");
    expect(sticky()).toContain(
      `/blob/${commit}/pr-1/20261126-174233-9b8e7d/learning-curves-loss.png?raw=true`,
    );
  });
});
