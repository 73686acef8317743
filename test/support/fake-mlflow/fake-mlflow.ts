import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

// Request shapes of MLflow's tracking REST API (mlflow/protos/service.proto, REST API reference):
// unknown fields are rejected so a misspelt field fails the test, as the server would ignore it.
const KeyValue = z.object({ key: z.string().min(1).max(250), value: z.string() }).strict();
const Int64 = z.number().int().nonnegative();
const ProtoDouble = z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"])]);
const Metric = z
  .object({
    key: z.string().min(1).max(250),
    value: ProtoDouble,
    timestamp: Int64,
    step: z.number().int().optional(),
  })
  .strict();
const SCHEMAS = {
  "experiments/create": z
    .object({
      name: z.string().min(1),
      artifact_location: z.string().optional(),
      tags: z.array(KeyValue).optional(),
    })
    .strict(),
  "runs/search": z
    .object({
      experiment_ids: z.array(z.string()).min(1),
      filter: z.string().optional(),
      run_view_type: z.enum(["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]).optional(),
      max_results: z.number().int().min(1).max(50000).optional(),
      order_by: z.array(z.string()).optional(),
      page_token: z.string().optional(),
    })
    .strict(),
  "runs/create": z
    .object({
      experiment_id: z.string(),
      user_id: z.string().optional(),
      run_name: z.string().optional(),
      start_time: Int64.optional(),
      tags: z.array(KeyValue).optional(),
    })
    .strict(),
  "runs/log-batch": z
    .object({
      run_id: z.string().min(1),
      metrics: z.array(Metric).max(1000).optional(),
      params: z.array(KeyValue).max(100).optional(),
      tags: z.array(KeyValue).max(100).optional(),
    })
    .strict()
    .refine((b) => (b.metrics?.length ?? 0) + (b.params?.length ?? 0) + (b.tags?.length ?? 0) <= 1000, {
      message: "A batch logging request can contain at most 1000 metrics, params and tags in total",
    }),
  "runs/update": z
    .object({
      run_id: z.string().min(1).optional(),
      run_uuid: z.string().optional(),
      status: z.enum(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]).optional(),
      end_time: Int64.optional(),
      run_name: z.string().optional(),
    })
    .strict(),
} as const;

type Body = {
  name: string;
  filter?: string;
  experiment_ids: string[];
  experiment_id: string;
  run_name?: string;
  start_time?: number;
  end_time?: number;
  run_id: string;
  run_uuid?: string;
  status?: string;
  tags?: Array<{ key: string; value: string }>;
  params?: Array<{ key: string; value: string }>;
  metrics?: FakeMlflowRun["metrics"];
};

export type FakeMlflowRun = {
  runId: string;
  experimentId: string;
  runName?: string;
  startTime?: number;
  endTime?: number;
  status: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Array<z.infer<typeof Metric>>;
};

export type FakeMlflow = {
  url: string;
  experiments: Map<string, { id: string; name: string }>;
  runs: Map<string, FakeMlflowRun>;
  /** Files uploaded through the artifact proxy, by path under the artifact root. */
  artifacts: Map<string, Buffer>;
  calls: Array<{ method: string; path: string; body: unknown; status: number; authorization?: string }>;
  close: () => Promise<void>;
};

/**
 * An MLflow tracking server's REST endpoints on 127.0.0.1, validating request bodies as MLflow
 * would, with the artifact proxy `mlflow server --serve-artifacts` adds (runs get an
 * `mlflow-artifacts:/<experiment>/<run>/artifacts` URI). `artifactUri` stands for a server that
 * keeps artifacts elsewhere (e.g. `s3://bucket/...`), whose runs get that URI instead.
 */
export async function startFakeMlflow(
  opts: { artifactUri?: (experimentId: string, runId: string) => string } = {},
): Promise<FakeMlflow> {
  const experiments = new Map<string, { id: string; name: string }>();
  const runs = new Map<string, FakeMlflowRun>();
  const artifacts = new Map<string, Buffer>();
  const calls: FakeMlflow["calls"] = [];
  let nextRun = 1;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname.startsWith(ARTIFACTS_PREFIX)) {
        const reply = await putArtifact(req, url.pathname.slice(ARTIFACTS_PREFIX.length));
        calls.push({
          method: req.method ?? "",
          path: url.pathname.slice("/api/2.0/".length),
          body: null,
          status: reply.status,
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        });
        res.writeHead(reply.status, { "content-type": "application/json" });
        res.end(JSON.stringify(reply.json));
        return;
      }
      const path = url.pathname.replace(/^\/api\/2\.0\/mlflow\//, "");
      const body = req.method === "POST" ? await readJson(req) : Object.fromEntries(url.searchParams);
      const reply = handle(req.method ?? "GET", path, body);
      calls.push({
        method: req.method ?? "",
        path,
        body,
        status: reply.status,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(JSON.stringify(reply.json));
    })();
  });

  const error = (status: number, code: string, message: string) => ({
    status,
    json: { error_code: code, message },
  });
  // mlflow/server/handlers.py upload_artifact: PUT only, a path with no '..' part, raw bytes.
  async function putArtifact(
    req: IncomingMessage,
    encoded: string,
  ): Promise<{ status: number; json: unknown }> {
    if (req.method !== "PUT") return error(404, "ENDPOINT_NOT_FOUND", `${req.method} artifacts`);
    const path = encoded.split("/").map(decodeURIComponent).join("/");
    if (path === "" || path.split("/").some((p) => p === ".." || p === "") || path.startsWith("/"))
      return error(400, "INVALID_PARAMETER_VALUE", `Invalid path: ${path}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    artifacts.set(path, Buffer.concat(chunks));
    return { status: 200, json: {} };
  }
  function handle(method: string, path: string, body: unknown): { status: number; json: unknown } {
    if (body === undefined) return error(400, "MALFORMED_REQUEST", "body is not JSON");
    if (method === "GET" && path === "experiments/get-by-name") {
      const name = (body as Record<string, string>).experiment_name;
      if (!name)
        return error(
          400,
          "INVALID_PARAMETER_VALUE",
          "Missing value for required parameter 'experiment_name'",
        );
      const e = experiments.get(name);
      return e
        ? {
            status: 200,
            json: { experiment: { experiment_id: e.id, name: e.name, lifecycle_stage: "active" } },
          }
        : error(404, "RESOURCE_DOES_NOT_EXIST", `Could not find experiment with name '${name}'`);
    }
    const schema = SCHEMAS[path as keyof typeof SCHEMAS];
    if (method !== "POST" || !schema) return error(404, "ENDPOINT_NOT_FOUND", `${method} ${path}`);
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      return error(
        400,
        "INVALID_PARAMETER_VALUE",
        parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      );
    // Every field a handler reads, loosely: the schema above has already checked the request.
    const b = parsed.data as unknown as Body;
    switch (path) {
      case "experiments/create": {
        const name = b.name;
        if (experiments.has(name))
          return error(400, "RESOURCE_ALREADY_EXISTS", `Experiment '${name}' already exists.`);
        const id = String(100 + experiments.size);
        experiments.set(name, { id, name });
        return { status: 200, json: { experiment_id: id } };
      }
      case "runs/search": {
        const m = /^tags\.`([^`]+)` = '([^']*)'$/.exec(b.filter ?? "");
        const ids = b.experiment_ids;
        const found = [...runs.values()].filter(
          (r) => ids.includes(r.experimentId) && (!m || r.tags[m[1]!] === m[2]),
        );
        return {
          status: 200,
          json: found.length
            ? { runs: found.map((r) => ({ info: { run_id: r.runId, experiment_id: r.experimentId } })) }
            : {},
        };
      }
      case "runs/create": {
        if (![...experiments.values()].some((e) => e.id === b.experiment_id))
          return error(404, "RESOURCE_DOES_NOT_EXIST", "No experiment");
        const runId = `fake${String(nextRun++).padStart(28, "0")}`;
        const artifactUri =
          opts.artifactUri?.(b.experiment_id, runId) ??
          `mlflow-artifacts:/${b.experiment_id}/${runId}/artifacts`;
        const tags = Object.fromEntries((b.tags ?? []).map((t) => [t.key, t.value]));
        runs.set(runId, {
          runId,
          experimentId: b.experiment_id,
          ...(b.run_name !== undefined ? { runName: b.run_name } : {}),
          ...(b.start_time !== undefined ? { startTime: b.start_time } : {}),
          status: "RUNNING",
          params: {},
          tags,
          metrics: [],
        });
        return {
          status: 200,
          json: {
            run: {
              info: {
                run_id: runId,
                experiment_id: b.experiment_id,
                status: "RUNNING",
                artifact_uri: artifactUri,
              },
            },
          },
        };
      }
      case "runs/log-batch": {
        const run = runs.get(b.run_id);
        if (!run) return error(404, "RESOURCE_DOES_NOT_EXIST", `Run '${b.run_id}' not found`);
        for (const p of b.params ?? []) {
          if (p.key in run.params && run.params[p.key] !== p.value)
            return error(400, "INVALID_PARAMETER_VALUE", `Changing param values is not allowed (${p.key})`);
          run.params[p.key] = p.value;
        }
        for (const t of b.tags ?? []) run.tags[t.key] = t.value;
        run.metrics.push(...(b.metrics ?? []));
        return { status: 200, json: {} };
      }
      case "runs/update": {
        const run = runs.get(b.run_id ?? b.run_uuid ?? "");
        if (!run) return error(404, "RESOURCE_DOES_NOT_EXIST", "Run not found");
        if (b.status) run.status = b.status;
        if (b.end_time !== undefined) run.endTime = b.end_time;
        return { status: 200, json: { run_info: { run_id: run.runId, status: run.status } } };
      }
    }
    return error(404, "ENDPOINT_NOT_FOUND", path);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    experiments,
    runs,
    artifacts,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const ARTIFACTS_PREFIX = "/api/2.0/mlflow-artifacts/artifacts/";

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
