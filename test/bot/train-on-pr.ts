import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { getOctokit } from "@actions/github";
import { openGitHubReleasesRegistry } from "../../adapters/github/releases-registry.ts";
import { writePlots } from "../../adapters/plots/write-run-plots.ts";
import { readRunDir } from "../../adapters/run-dir/read-run-dir.ts";
import {
  addTrainingRun,
  commentPayload,
  OWNER,
  REPO,
  workflowRunCompleted,
  type Harness,
  type Payload,
} from "./bot-harness.ts";

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

/** v1.0.0 of iris from the iris-baseline fixture, registered the way the Action registers it; its run directory. */
export async function registerBaseline(h: Harness, work: string): Promise<string> {
  const registry = await openGitHubReleasesRegistry(getOctokit("token", { baseUrl: h.fake.url }), {
    owner: OWNER,
    repo: REPO,
    tagFormat: "model/{name}/v{version}",
  });
  const runDir = await uploadedRunDir(work, "iris-baseline");
  await registry.register({ runDir, name: "iris", bump: "minor", now: new Date("2026-03-01T00:00:00Z") });
  return runDir;
}

export type TrainOnPrOptions = {
  /** The uploaded run directory; default: a copy of the iris-candidate fixture with its own plots, in `work`. */
  runDir?: string;
  /** Where the default run directory is copied. */
  work?: string;
  /** The report job's comparison plots, uploaded as the run's `modelship-run-plots` artifact. */
  plotsDir?: string;
  /** Delivery ids of the `workflow_run.completed` webhook, one delivery each (default: one). */
  deliveries?: string[];
};

/**
 * `/train` on PR #1, then its workflow run 4242 completes with the run directory as its artifact
 * (and the report job's plots, when given); returns the `workflow_run.completed` payload delivered.
 */
export async function trainOnPr(h: Harness, opts: TrainOnPrOptions): Promise<Payload> {
  await h.receive("issue_comment", commentPayload(h, { body: "/train" }));
  const run = await completeTrainingRun(h, opts);
  for (const id of opts.deliveries ?? [undefined]) await h.receive("workflow_run", run, id);
  return run;
}

/** Records run 4242 of the first check's training (completed, success) and its artifacts; its webhook payload. */
export async function completeTrainingRun(
  h: Harness,
  opts: Pick<TrainOnPrOptions, "runDir" | "work" | "plotsDir">,
): Promise<Payload> {
  const check = h.repo.checkRuns[0]!;
  const runDir = opts.runDir ?? (opts.work ? await uploadedRunDir(opts.work, "iris-candidate") : undefined);
  if (runDir === undefined) throw new Error("trainOnPr needs runDir or work");
  const run = addTrainingRun(h.repo, {
    id: 4242,
    correlation: check.externalId!,
    headSha: check.headSha,
    conclusion: "success",
  });
  h.repo.artifacts.push({
    id: 4243,
    runId: 4242,
    name: `modelship-run-${check.externalId}`,
    dir: runDir,
  });
  if (opts.plotsDir)
    h.repo.artifacts.push({ id: 4244, runId: 4242, name: "modelship-run-plots", dir: opts.plotsDir });
  return workflowRunCompleted(run);
}
