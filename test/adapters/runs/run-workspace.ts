import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const FIXTURE = fileURLToPath(new URL("../../fixtures/runs/iris-candidate", import.meta.url));

export type FakeRun = {
  id: string;
  /** Folder under .modelship/runs (default: the id). */
  under?: string;
  startedAt: string;
  metrics: Record<string, number>;
  params?: Record<string, unknown>;
  status?: "failed";
};

/** Writes run directories (from the iris fixture, with the given id, time, metrics and params) into `workspace`. */
export async function writeRuns(workspace: string, runs: readonly FakeRun[]): Promise<void> {
  const base = JSON.parse(await readFile(join(FIXTURE, "run.json"), "utf8")) as Record<string, unknown>;
  for (const r of runs) {
    const dir = join(workspace, ".modelship", "runs", r.under ?? r.id);
    await mkdir(dir, { recursive: true });
    await cp(join(FIXTURE, "history.json"), join(dir, "history.json"));
    const params = { ...(base.params as object), ...r.params };
    const finished = new Date(Date.parse(r.startedAt) + 20_000).toISOString();
    const record = {
      ...base,
      runId: r.id,
      startedAt: r.startedAt,
      finishedAt: finished,
      durationMs: 20_000,
      params,
      metrics: r.metrics,
      ...(r.status ? { status: r.status, failure: { code: "onnx-parity-failed", message: "parity" } } : {}),
    };
    await writeFile(join(dir, "run.json"), JSON.stringify(record, null, 2));
    await writeFile(join(dir, "metrics.json"), JSON.stringify(r.metrics));
    await writeFile(join(dir, "params.json"), JSON.stringify(params));
    await writeFile(join(dir, "MODEL_CARD.md"), `# ${r.id}\n`);
  }
}

/** Three local runs, one sweep trial nested in a study folder and one pulled CI record. */
export const FIVE_RUNS: FakeRun[] = [
  {
    id: "r1-baseline",
    startedAt: "2026-11-20T10:00:00.000Z",
    metrics: { accuracy: 0.9, loss: 0.3 },
    params: { learningRate: 0.01 },
  },
  {
    id: "r2-wide",
    startedAt: "2026-11-21T10:00:00.000Z",
    metrics: { accuracy: 0.95, loss: 0.2 },
    params: { learningRate: 0.01, optimizer: "sgd" },
  },
  {
    id: "r3-fast",
    startedAt: "2026-11-22T10:00:00.000Z",
    metrics: { accuracy: 0.8, loss: 0.5 },
    params: { learningRate: 0.1 },
    status: "failed",
  },
  {
    id: "study-a-t01",
    under: "study-a/study-a-t01",
    startedAt: "2026-11-23T10:00:00.000Z",
    metrics: { accuracy: 0.93, loss: 0.25 },
    params: { learningRate: 0.03 },
  },
  {
    id: "ci-4242",
    under: "pulled/ci-4242",
    startedAt: "2026-11-24T10:00:00.000Z",
    metrics: { accuracy: 0.97, loss: 0.1 },
    params: { learningRate: 0.002 },
  },
];
