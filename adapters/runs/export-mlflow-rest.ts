import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { splitLogBatches, type MlflowRun } from "../../core/runs/to-mlflow-run.ts";

export type MlflowRestOptions = {
  /** Tracking server root, e.g. http://127.0.0.1:5000 (the API lives under /api/2.0/mlflow/). */
  uri: string;
  /** Extra headers, e.g. Authorization from MLFLOW_TRACKING_TOKEN. */
  headers?: Record<string, string>;
  fetch?: typeof globalThis.fetch;
  /** The folder whose files become a newly logged run's artifacts; undefined: none uploaded. */
  artifactsDir?: (run: MlflowRun) => string | undefined;
};

/** What happened to each run: logged anew, or already on the server (same modelship.runId tag). */
export type MlflowRestResult = Array<{
  runName: string;
  runId: string;
  experimentId: string;
  outcome: "logged" | "exists";
  /** Files uploaded as artifacts, and why none were when the server does not proxy them. */
  artifacts: { uploaded: number; skipped?: string };
}>;

/**
 * Logs runs to an MLflow tracking server: experiments/get-by-name (or create), runs/search to skip
 * runs logged before, runs/create, runs/log-batch within MLflow's limits, the artifacts through
 * the server's artifact proxy, runs/update to finish.
 */
export async function exportMlflowRest(
  runs: readonly MlflowRun[],
  opts: MlflowRestOptions,
): Promise<MlflowRestResult> {
  const call = client(opts);
  const experiments = new Map<string, string>();
  const result: MlflowRestResult = [];
  for (const run of runs) {
    let experimentId = experiments.get(run.experimentName);
    if (experimentId === undefined) {
      experimentId = await experimentIdFor(call, run.experimentName);
      experiments.set(run.experimentName, experimentId);
    }
    const found = await call<{ runs?: Array<{ info: { run_id: string } }> }>("POST", "runs/search", {
      experiment_ids: [experimentId],
      filter: `tags.\`modelship.runId\` = '${run.runName.replace(/'/g, "\\'")}'`,
      max_results: 1,
    });
    const existing = found.runs?.[0]?.info.run_id;
    if (existing !== undefined) {
      result.push({
        runName: run.runName,
        runId: existing,
        experimentId,
        outcome: "exists",
        artifacts: { uploaded: 0 },
      });
      continue;
    }
    const created = await call<{ run: { info: { run_id: string; artifact_uri?: string } } }>(
      "POST",
      "runs/create",
      {
        experiment_id: experimentId,
        run_name: run.runName,
        start_time: run.startTime,
        tags: [{ key: "mlflow.runName", value: run.runName }],
      },
    );
    const runId = created.run.info.run_id;
    for (const batch of splitLogBatches(run)) {
      await call("POST", "runs/log-batch", {
        run_id: runId,
        metrics: batch.metrics.map((m) => ({ ...m, value: protoDouble(m.value) })),
        params: batch.params,
        tags: batch.tags,
      });
    }
    const dir = opts.artifactsDir?.(run);
    const artifacts =
      dir === undefined ? { uploaded: 0 } : await uploadArtifacts(opts, created.run.info.artifact_uri, dir);
    await call("POST", "runs/update", { run_id: runId, status: run.status, end_time: run.endTime });
    result.push({ runName: run.runName, runId, experimentId, outcome: "logged", artifacts });
  }
  return result;
}

type Call = <T = unknown>(method: "GET" | "POST", path: string, body: Record<string, unknown>) => Promise<T>;

async function experimentIdFor(call: Call, name: string): Promise<string> {
  try {
    const got = await call<{ experiment: { experiment_id: string } }>("GET", "experiments/get-by-name", {
      experiment_name: name,
    });
    return got.experiment.experiment_id;
  } catch (err) {
    if (!(err instanceof MlflowApiError) || err.errorCode !== "RESOURCE_DOES_NOT_EXIST") throw err;
  }
  const created = await call<{ experiment_id: string }>("POST", "experiments/create", { name });
  return created.experiment_id;
}

/**
 * Uploads every regular file under `dir` through the tracking server's artifact proxy,
 * `PUT /api/2.0/mlflow-artifacts/artifacts/<path>` (what MLflow's own client does for an
 * `mlflow-artifacts:` artifact URI). A run whose artifacts the server stores elsewhere (s3://,
 * file://) is skipped with the reason: the tracking API itself has no upload.
 */
async function uploadArtifacts(
  opts: MlflowRestOptions,
  artifactUri: string | undefined,
  dir: string,
): Promise<{ uploaded: number; skipped?: string }> {
  const root = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*?)\/*$/.exec(artifactUri ?? "")?.[1];
  if (root === undefined) {
    return {
      uploaded: 0,
      skipped: `the server keeps this run's artifacts at ${artifactUri ?? "(no artifact_uri)"}, which it does not serve through its mlflow-artifacts proxy; start it with --serve-artifacts (the default since MLflow 2.0) or export to a directory with --mlflow DIR`,
    };
  }
  const f = opts.fetch ?? globalThis.fetch;
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split(sep).join("/"))
    .sort();
  for (const file of files) {
    const path = `${root}/${file}`.split("/").map(encodeURIComponent).join("/");
    const url = `${opts.uri.replace(/\/+$/, "")}/api/2.0/mlflow-artifacts/artifacts/${path}`;
    let res: Response;
    try {
      res = await f(url, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream", ...opts.headers },
        body: await readFile(join(dir, file)),
      });
    } catch (err) {
      throw new ModelshipError({
        code: "mlflow-unreachable",
        message: `cannot reach the MLflow server at ${opts.uri}: ${(err as Error).message}`,
        hint: "Start the tracking server (mlflow server) or fix --mlflow-uri.",
      });
    }
    if (!res.ok) {
      const text = await res.text();
      const json = parseJsonObject(text);
      throw new MlflowApiError(
        `mlflow-artifacts/artifacts/${root}/${file}`,
        res.status,
        String(json.error_code ?? "UNKNOWN"),
        String(json.message ?? text.slice(0, 200)),
        opts.uri,
      );
    }
  }
  return { uploaded: files.length };
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = text ? JSON.parse(text) : {};
    return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Non-finite doubles in proto3 JSON are the strings "NaN", "Infinity", "-Infinity". */
function protoDouble(v: number): number | string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return v;
}

class MlflowApiError extends ModelshipError {
  readonly errorCode: string;
  constructor(path: string, status: number, errorCode: string, message: string, uri: string) {
    super({
      code: "mlflow-request-failed",
      message: `MLflow ${path} answered ${status} ${errorCode}: ${message}`,
      where: { file: uri },
      hint:
        status === 401 || status === 403
          ? "Set MLFLOW_TRACKING_TOKEN (or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD) for this server."
          : "Check --mlflow-uri points at an MLflow tracking server (2.x or newer).",
    });
    this.errorCode = errorCode;
  }
}

function client(opts: MlflowRestOptions): Call {
  const f = opts.fetch ?? globalThis.fetch;
  const base = `${opts.uri.replace(/\/+$/, "")}/api/2.0/mlflow/`;
  return async <T>(method: "GET" | "POST", path: string, body: Record<string, unknown>): Promise<T> => {
    const url = new URL(path, base);
    if (method === "GET") for (const [k, v] of Object.entries(body)) url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await f(url, {
        method,
        headers: { "content-type": "application/json", ...opts.headers },
        ...(method === "POST" ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new ModelshipError({
        code: "mlflow-unreachable",
        message: `cannot reach the MLflow server at ${opts.uri}: ${(err as Error).message}`,
        hint: "Start the tracking server (mlflow server) or fix --mlflow-uri.",
      });
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // An HTML error page from a proxy: reported below with the status.
    }
    if (!res.ok) {
      throw new MlflowApiError(
        path,
        res.status,
        String(json.error_code ?? "UNKNOWN"),
        String(json.message ?? text.slice(0, 200)),
        opts.uri,
      );
    }
    return json as T;
  };
}
