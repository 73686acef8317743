import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { stringify, parse } from "yaml";
import { mlflowNumberText, type MlflowRun } from "../../core/runs/to-mlflow-run.ts";

/** MLflow's RunStatus and SourceType numbers as the file store writes them. */
const RUN_STATUS = { FINISHED: 3, FAILED: 4 } as const;
const SOURCE_TYPE_LOCAL = 4;

export type MlflowFileExport = {
  experiments: Record<string, string>;
  runs: Array<{ runName: string; runId: string; experimentId: string }>;
};

/**
 * Writes runs in MLflow's file-store layout under `root` (the `mlruns` folder):
 * `<experiment_id>/meta.yaml`, `<experiment_id>/<run_id>/{meta.yaml, params/, metrics/, tags/, artifacts/}`.
 * Experiments already in `root` are reused by name; a run exported again is replaced.
 */
export async function exportMlflowFiles(opts: {
  root: string;
  runs: ReadonlyArray<{ run: MlflowRun; artifactsDir?: string }>;
  now: Date;
  userId: string;
}): Promise<MlflowFileExport> {
  const root = resolve(opts.root);
  await mkdir(root, { recursive: true });
  const experiments = await readExperiments(root);
  if (![...experiments.values()].includes("0")) {
    await writeExperiment(root, "0", "Default", opts.now);
    experiments.set("Default", "0");
  }
  const out: MlflowFileExport = { experiments: {}, runs: [] };
  for (const { run, artifactsDir } of opts.runs) {
    let experimentId = experiments.get(run.experimentName);
    if (experimentId === undefined) {
      experimentId = String(
        Math.max(0, ...[...experiments.values()].map(Number).filter(Number.isFinite)) + 1,
      );
      await writeExperiment(root, experimentId, run.experimentName, opts.now);
      experiments.set(run.experimentName, experimentId);
    }
    out.experiments[run.experimentName] = experimentId;
    await writeRun(root, experimentId, run, artifactsDir, opts.userId);
    out.runs.push({ runName: run.runName, runId: run.runId, experimentId });
  }
  return out;
}

async function readExperiments(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const text = await readFile(join(root, e.name, "meta.yaml"), "utf8").catch(() => null);
    if (text === null) continue;
    const meta = parse(text) as { name?: unknown; experiment_id?: unknown } | null;
    if (typeof meta?.name === "string") found.set(meta.name, String(meta.experiment_id ?? e.name));
  }
  return found;
}

async function writeExperiment(root: string, id: string, name: string, now: Date): Promise<void> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  const meta = {
    artifact_location: pathToFileURL(dir).href,
    creation_time: now.getTime(),
    experiment_id: id,
    last_update_time: now.getTime(),
    lifecycle_stage: "active",
    name,
  };
  await writeFile(join(dir, "meta.yaml"), stringify(meta));
}

async function writeRun(
  root: string,
  experimentId: string,
  run: MlflowRun,
  artifactsDir: string | undefined,
  userId: string,
): Promise<void> {
  const dir = join(root, experimentId, run.runId);
  await rm(dir, { recursive: true, force: true });
  for (const sub of ["params", "metrics", "tags", "artifacts"])
    await mkdir(join(dir, sub), { recursive: true });
  const meta = {
    artifact_uri: pathToFileURL(join(dir, "artifacts")).href,
    end_time: run.endTime,
    entry_point_name: "",
    experiment_id: experimentId,
    lifecycle_stage: "active",
    run_id: run.runId,
    run_name: run.runName,
    run_uuid: run.runId,
    source_name: "",
    source_type: SOURCE_TYPE_LOCAL,
    source_version: "",
    start_time: run.startTime,
    status: RUN_STATUS[run.status],
    tags: [],
    user_id: userId,
  };
  await writeFile(join(dir, "meta.yaml"), stringify(meta));
  for (const p of run.params) await writeKeyFile(join(dir, "params"), p.key, p.value);
  for (const t of run.tags) await writeKeyFile(join(dir, "tags"), t.key, t.value);
  const byKey = new Map<string, string[]>();
  for (const m of run.metrics) {
    const lines = byKey.get(m.key) ?? [];
    lines.push(`${m.timestamp} ${mlflowNumberText(m.value)} ${m.step}\n`);
    byKey.set(m.key, lines);
  }
  for (const [key, lines] of byKey) await writeKeyFile(join(dir, "metrics"), key, lines.join(""));
  if (artifactsDir) await cp(artifactsDir, join(dir, "artifacts"), { recursive: true });
}

/** Keys with `/` become sub-folders, as MLflow's file store does. */
async function writeKeyFile(dir: string, key: string, content: string): Promise<void> {
  const file = join(dir, ...key.split("/"));
  await mkdir(join(file, ".."), { recursive: true });
  await writeFile(file, content);
}
