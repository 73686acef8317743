import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { getOctokit } from "@actions/github";
import { openGitHubReleasesRegistry } from "../../adapters/github/releases-registry.ts";
import { writePlots } from "../../adapters/plots/write-run-plots.ts";
import { readRunDir } from "../../adapters/run-dir/read-run-dir.ts";
import { commentPayload, examplePayload, OWNER, REPO, type Harness } from "./bot-harness.ts";

let made = 0;

/** A run directory as the training workflow uploads it (a fixture), with a model file and its own plots. */
export async function uploadedRunDir(work: string, fixture: string): Promise<string> {
  const dir = join(work, `${fixture}-${++made}`);
  await cp(`test/fixtures/runs/${fixture}`, dir, { recursive: true });
  await mkdir(join(dir, "model"), { recursive: true });
  await writeFile(join(dir, "model", "model.onnx"), `onnx bytes of ${dir}`);
  const run = await readRunDir(dir);
  await writePlots(dir, { candidate: { label: run.record.runId, history: run.history! } });
  return dir;
}

/** v1.0.0 of iris from the iris-baseline fixture, registered the way the Action registers it. */
export async function registerBaseline(h: Harness, work: string): Promise<void> {
  const registry = await openGitHubReleasesRegistry(getOctokit("token", { baseUrl: h.fake.url }), {
    owner: OWNER,
    repo: REPO,
    tagFormat: "model/{name}/v{version}",
  });
  await registry.register({
    runDir: await uploadedRunDir(work, "iris-baseline"),
    name: "iris",
    bump: "minor",
    now: new Date("2026-03-01T00:00:00Z"),
  });
}

/** `/train` on PR #1, then its workflow run 4242 completes with the iris-candidate artifact. */
export async function trainOnPr(h: Harness, work: string): Promise<void> {
  await h.receive("issue_comment", commentPayload(h, { body: "/train" }));
  const check = h.repo.checkRuns[0]!;
  h.repo.workflowRuns.push({
    id: 4242,
    workflowFile: "modelship-train.yml",
    name: "Modelship train",
    displayTitle: `modelship train ${check.externalId}`,
    event: "workflow_dispatch",
    status: "completed",
    conclusion: "success",
    headSha: check.headSha,
    headBranch: "changes",
    runAttempt: 1,
    createdAt: "2026-01-01T00:00:00Z",
  });
  h.repo.artifacts.push({
    id: 4243,
    runId: 4242,
    name: `modelship-run-${check.externalId}`,
    dir: await uploadedRunDir(work, "iris-candidate"),
  });
  const run = examplePayload("workflow_run", "completed");
  Object.assign(run.workflow_run, {
    id: 4242,
    display_title: `modelship train ${check.externalId}`,
    path: ".github/workflows/modelship-train.yml",
    head_sha: check.headSha,
    status: "completed",
    conclusion: "success",
    html_url: `https://github.com/${OWNER}/${REPO}/actions/runs/4242`,
  });
  await h.receive("workflow_run", run);
}
