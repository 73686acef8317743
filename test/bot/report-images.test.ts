import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeComparisonPlots } from "../../adapters/plots/write-comparison-plots.ts";
import { reportMarker } from "../../core/report/render-markdown.ts";
import { botComments, OWNER, REPO, startHarness, type Harness } from "./bot-harness.ts";
import { registerBaseline, trainOnPr, uploadedRunDir } from "./train-on-pr.ts";

// The App's PR report shows the plots as images committed to the repository's modelship-assets
// branch (through the fake GitHub's Git database), with Mermaid as the fallback. The comparison
// charts come drawn from the training workflow's report job (its <artifactName>-plots artifact):
// the App draws nothing while it answers the webhook.

let work: string;
let h: Harness;

const sticky = (): string => botComments(h, 1).find((b) => b.includes(reportMarker("iris")))!;
const ops = (): string[] => h.fake.calls.map((c) => c.operationId);

/** The blob of a file of the assets branch's head, by the end of its path. */
function committed(pathEnd: string): Buffer {
  const tree = h.repo.trees[h.repo.commits[h.repo.refs["refs/heads/modelship-assets"]!]!.tree]!;
  return h.repo.blobs[tree.find((e) => e.path.endsWith(pathEnd))!.sha]!;
}

/** The report job's folder: the candidate's charts next to the baseline's, as `modelship plots` draws them. */
async function reportJobPlots(candidateDir: string, baselineDir: string): Promise<string> {
  const out = join(work, `report-plots-${Math.random().toString(36).slice(2)}`);
  await writeComparisonPlots({
    out,
    candidateDir,
    baselineDir,
    labels: { candidate: "run 4242", baseline: "v1.0.0" },
  });
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modelship-report-images-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(() => h.checkAndClose());

describe("the App's PR report with images", () => {
  it("links the charts the report job drew with the baseline: PNG and SVG committed to modelship-assets", async () => {
    h = await startHarness();
    const baselineDir = await registerBaseline(h, work);
    const runDir = await uploadedRunDir(work, "iris-candidate");
    await trainOnPr(h, { runDir, plotsDir: await reportJobPlots(runDir, baselineDir) });
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
    // The blobs are the report job's files: a PNG signature, and SVGs whose legend names both runs.
    expect(committed("loss.png").subarray(1, 4).toString("latin1")).toBe("PNG");
    const svg = committed("loss.svg").toString("utf8");
    expect(svg).toContain("<svg");
    expect(svg).toContain("v1.0.0");
    expect(svg).toContain("run 4242");
    expect(ops()).toContain("actions/download-artifact");
    const base = `https://github.com/${OWNER}/${REPO}/blob/${commit}/${folder}`;
    const body = sticky();
    expect(body).toContain(
      `[![Loss per epoch](${base}/learning-curves-loss.png?raw=true)](${base}/learning-curves-loss.svg?raw=true)`,
    );
    expect(body).not.toContain("```mermaid");
    expect(body).not.toContain("[!NOTE]");
    // The data section compares the runs' data with the baseline's.
    expect(body).toContain("### Data\n\n✅ Same data as the baseline");
    // The check run shows the same images.
    expect(h.repo.checkRuns[0]!.output.summary).toContain(`${base}/learning-curves-metrics.png?raw=true`);
  });

  it.each([
    {
      what: "the run uploaded no plots (an older training workflow)",
      plots: async (): Promise<string | undefined> => undefined,
      note: "the run uploaded no modelship-run-plots artifact (the training workflow's report job draws it)",
    },
    {
      what: "the report job compared another baseline",
      plots: async (): Promise<string> => {
        const other = await uploadedRunDir(work, "iris-candidate");
        return reportJobPlots(await uploadedRunDir(work, "iris-candidate"), other);
      },
      note: "modelship-run-plots compares run 20261126-174233-9b8e7d with 20261126-174233-9b8e7d, not run 20261126-174233-9b8e7d with 20261101-091502-3f2a1c",
    },
  ])("shows the candidate's own plots, and says why, when $what", async ({ plots, note }) => {
    h = await startHarness();
    await registerBaseline(h, work);
    const plotsDir = await plots();
    await trainOnPr(h, { work, ...(plotsDir ? { plotsDir } : {}) });
    const svg = committed("loss.svg").toString("utf8");
    expect(svg).not.toContain("v1.0.0");
    const body = sticky();
    expect(body).toContain("learning-curves-loss.png?raw=true");
    expect(body).toContain(`> [!NOTE]\n> The plots show the candidate alone: ${note}`);
    expect(h.repo.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "success" });
  });

  it("keeps the Mermaid charts, and says why, when the assets branch cannot be written", async () => {
    h = await startHarness();
    await registerBaseline(h, work);
    h.repo.gitReadOnly = true;
    await trainOnPr(h, { work });
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
    await trainOnPr(h, { work });
    const commit = h.repo.refs["refs/heads/modelship-assets"]!;
    const svg = committed("loss.svg").toString("utf8");
    // Drawn at training time: its only run is the candidate's own id.
    expect(svg).toContain("20261126-174233-9b8e7d");
    expect(svg).not.toContain("v1.0.0");
    expect(sticky()).toContain(
      `/blob/${commit}/pr-1/20261126-174233-9b8e7d/learning-curves-loss.png?raw=true`,
    );
  });
});
