import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getOctokit } from "@actions/github";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openGitHubReleasesRegistry } from "../../adapters/github/releases-registry.ts";
import { driftArtifactName, driftRunName, DRIFT_FILES } from "../../core/bot/drift-run.ts";
import { createReferenceProfile } from "../../core/monitoring/create-reference-profile.ts";
import { detectDrift } from "../../core/monitoring/detect-drift.ts";
import { driftJson } from "../../core/report/render-drift-json.ts";
import { renderDriftMarkdown } from "../../core/report/render-drift-markdown.ts";
import type { FakeIssue, FakeWorkflowRun } from "../support/fake-github/fake-state.ts";
import {
  addTrainingRun,
  BASIC_CONFIG,
  OWNER,
  REPO,
  startHarness,
  type Harness,
  workflowRunCompleted,
} from "./bot-harness.ts";
import { candidateRunDir } from "./candidate-run-dir.ts";
import { penguinRows } from "../support/penguins-table.ts";

// A drift workflow run uploads what `modelship drift --json --markdown` wrote; the App reads it from
// the run's artifact (GitHub's example `workflow_run` payload, signed; GitHub is the fake checked
// against its API description). The reports are real ones: half of the penguins data as
// the reference (rows 0, 1, 4, 5, …: the file alternates male and female), and the other half, as
// it is or with two of its four columns shifted.

type Row = Record<string, unknown>;
let work: string;
let h: Harness;
let mainSha: string;
const reports: Record<"drifted" | "steady" | "few", { json: string; md: string }> = {} as never;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modelship-drift-bot-"));
  const penguins = penguinRows();
  const features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"];
  const profile = createReferenceProfile({
    model: "iris",
    rows: penguins.filter((_, i) => i % 4 < 2),
    features,
  });
  const current = penguins.filter((_, i) => i % 4 >= 2);
  const shifted = current.map((r) => ({
    ...r,
    flipper_length_mm: typeof r["flipper_length_mm"] === "number" ? r["flipper_length_mm"] + 15 : null,
    body_mass_g: typeof r["body_mass_g"] === "number" ? r["body_mass_g"] * 1.2 : null,
  }));
  const render = (rows: Row[]) => {
    const report = detectDrift({ profile, rows });
    const subject = { model: "iris", current: "production (prediction log)", reference: "v1.0.0" };
    return { json: JSON.stringify(driftJson(report)), md: renderDriftMarkdown(report, subject) };
  };
  reports.drifted = render(shifted);
  reports.steady = render(current);
  reports.few = render(current.slice(0, 40));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const runDir = (name: string, accuracy: number) => candidateRunDir(work, name, accuracy);

/** A completed run of the drift workflow on `main`, with the artifact its upload step made. */
async function driftRun(kind: keyof typeof reports, opts: { branch?: string; conclusion?: string } = {}) {
  const id = (h.fake.state.nextId += 1);
  const run: FakeWorkflowRun = {
    id,
    workflowFile: "modelship-drift.yml",
    name: "modelship drift",
    displayTitle: driftRunName("iris", "production"),
    event: "schedule",
    status: "completed",
    conclusion: opts.conclusion ?? "success",
    headSha: mainSha,
    headBranch: opts.branch ?? "main",
    runAttempt: 1,
    createdAt: "2026-03-02T05:41:00Z",
  };
  h.repo.workflowRuns.push(run);
  const dir = join(work, `drift-${id}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, DRIFT_FILES.json), reports[kind].json);
  await writeFile(join(dir, DRIFT_FILES.markdown), reports[kind].md);
  h.repo.artifacts.push({
    id: (h.fake.state.nextId += 1),
    runId: id,
    name: driftArtifactName("production"),
    dir,
  });
  return run;
}

/** Delivers the `workflow_run.completed` webhook of `run`, signed. */
const deliverCompleted = (run: FakeWorkflowRun) => h.deliverSigned("workflow_run", workflowRunCompleted(run));

const driftIssues = (): FakeIssue[] =>
  h.repo.issues.filter((i) => i.body?.includes("modelship:drift model=iris"));
const writes = () => h.fake.calls.filter((c) => c.method !== "GET").length;

beforeEach(async () => {
  h = await startHarness();
  mainSha = h.repo.refs["refs/heads/main"]!;
});
afterEach(() => h.checkAndClose());

describe("a drift workflow run, through the App", () => {
  it("drift: ONE issue per model and environment with the report, updated by the next, closed when drift is gone", async () => {
    const first = await driftRun("drifted");
    await deliverCompleted(first);
    expect(driftIssues()).toHaveLength(1);
    const issue = driftIssues()[0]!;
    expect(issue.title).toBe("Modelship: data drift in iris (production)");
    expect(issue.body).toContain("<!-- modelship:drift model=iris environment=production -->");
    expect(issue.body).toContain(
      `[drift run ${first.id}](https://github.com/${OWNER}/${REPO}/actions/runs/${first.id})`,
    );
    expect(issue.body).toContain(
      "found dataset drift in `production`: `flipper\\_length\\_mm`, `body\\_mass\\_g`.",
    );
    expect(issue.body).toContain("⚠️ **Dataset drift**: 2 of 4 features drifted (50%).");
    expect(issue.body?.match(/```mermaid\nxychart-beta/g)).toHaveLength(2);
    expect(issue.body).toContain("Retraining on drift is off");
    expect(h.repo.dispatches).toEqual([]);

    // A redelivery, or the same run seen again, writes nothing.
    const before = writes();
    await deliverCompleted(first);
    expect(writes()).toBe(before);

    const second = await driftRun("drifted");
    await deliverCompleted(second);
    expect(driftIssues()).toHaveLength(1);
    expect(h.fake.callsTo("issues/create")).toHaveLength(1);
    expect(issue.body).toContain(`drift run ${second.id}`);

    // Too few rows says nothing either way; no drift closes the issue with a comment.
    await deliverCompleted(await driftRun("few"));
    expect(issue.state).toBe("open");
    const steady = await driftRun("steady");
    await deliverCompleted(steady);
    expect(issue.state).toBe("closed");
    expect(h.repo.comments.at(-1)!.body).toContain(
      `Drift run ${steady.id} found no dataset drift in \`production\``,
    );
  });

  it.each([
    ["a run of another branch", { branch: "experiment" }],
    ["a failed run", { conclusion: "failure" }],
  ])("%s opens nothing", async (_what, opts) => {
    await deliverCompleted(await driftRun("drifted", opts));
    expect(driftIssues()).toEqual([]);
    expect(h.repo.dispatches).toEqual([]);
  });

  it("with monitoring.retrainOnDrift: dispatches training once; the candidate pull request links the issue", async () => {
    h.repo.files.main![".github/modelship.yml"] = `${BASIC_CONFIG}monitoring:\n  retrainOnDrift: true\n`;
    const registry = await openGitHubReleasesRegistry(getOctokit("token", { baseUrl: h.fake.url }), {
      owner: OWNER,
      repo: REPO,
      tagFormat: "model/{name}/v{version}",
    });
    await registry.register({
      runDir: await runDir("base", 0.9),
      name: "iris",
      bump: "minor",
      now: new Date("2026-03-01T00:00:00Z"),
    });

    const run = await driftRun("drifted");
    await deliverCompleted(run);
    await deliverCompleted(run);
    const correlation = `drift-${mainSha}-${run.id}`;
    expect(h.repo.dispatches).toEqual([
      {
        workflowId: "modelship-train.yml",
        ref: "main",
        inputs: {
          pr_number: "",
          head_sha: mainSha,
          params: "{}",
          correlation_id: correlation,
          trigger: "drift",
        },
      },
    ]);
    const issue = driftIssues()[0]!;
    expect(issue.body).toContain("Retraining was dispatched");

    // The training run that dispatch started beats production: a candidate pull request on the
    // drift branch, linking the issue.
    const trainId = (h.fake.state.nextId += 1);
    const train = addTrainingRun(h.repo, {
      id: trainId,
      correlation,
      conclusion: "success",
      headSha: mainSha,
      headBranch: "main",
      createdAt: "2026-03-02T06:00:00Z",
    });
    h.repo.artifacts.push({
      id: (h.fake.state.nextId += 1),
      runId: trainId,
      name: `modelship-run-${correlation}`,
      dir: await runDir("retrained", 0.97),
    });
    await deliverCompleted(train);
    const pulls = Object.values(h.repo.pulls).filter((p) => p.head.ref === "modelship/retrain/iris/drift");
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.title).toBe("Release iris: retraining after drift beats v1.0.0");
    expect(pulls[0]!.body).toContain(`Retrained after the data drift reported in #${issue.number}.`);
  });
});
