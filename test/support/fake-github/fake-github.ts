import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { OpenAPIBackend, type Document, type Operation, type Request as OBRequest } from "openapi-backend";
import addFormatsModule from "ajv-formats";
import { createFakeState, ensureRepo, type FakeRepo, type FakeState } from "./fake-state.ts";
import { handlers, type HandlerContext, type HandlerResult } from "./handlers.ts";

export type { FakeState, FakeRepo, FakeUser, FakePull, FakeRole } from "./fake-state.ts";
export { addCommit, addPull, ensureRepo, fakeSha, gitBlobSha, EMPTY_TREE_SHA } from "./fake-state.ts";

/** One request the fake received, in arrival order. */
export type RecordedCall = {
  operationId: string;
  method: string;
  /** Path relative to the API root (no `/api/v3` or `/api/uploads` prefix), decoded query removed. */
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  status: number;
  /** Why the request was rejected (only on `invalid` entries). */
  errors?: unknown;
};

export type FakeGitHub = {
  /** API root, e.g. `http://127.0.0.1:PORT` (the same API is served under `/api/v3`). */
  url: string;
  /** `127.0.0.1:PORT`, for Probot's `GHE_HOST` with `GHE_PROTOCOL=http`. */
  gheHost: string;
  calls: RecordedCall[];
  /** Requests GitHub would reject: no such operation (404) or failed validation (422). */
  invalid: RecordedCall[];
  state: FakeState;
  /** The repository `owner/name`, created with a default branch when absent. */
  repo(owner: string, name: string): FakeRepo;
  /** Recorded calls with one operation id. */
  callsTo(operationId: string): RecordedCall[];
  close(): Promise<void>;
};

export type StartFakeGitHubOptions = {
  /** Changes the initial state before the server answers anything. */
  seed?: (state: FakeState) => void;
};

const SPEC_PATH = "node_modules/@octokit/openapi/generated/api.github.com.json";
const UPLOAD_PREFIXES = ["/api/uploads", "/uploads"];
const API_PREFIX = "/api/v3";
/**
 * GitHub's own format `repo.nwo` (pulls/create's `head_repo`): `owner/name`, an account login
 * (letters, digits, single inner hyphens, at most 39) and a repository name (letters, digits, `.`,
 * `_`, `-`, at most 100).
 */
const REPO_NWO = /^(?=[A-Za-z0-9-]{1,39}\/)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\/[\w.-]{1,100}$/;

let backendPromise: Promise<OpenAPIBackend> | undefined;

/** GitHub's REST description as an openapi-backend, loaded once per process. */
export function loadGitHubApi(): Promise<OpenAPIBackend> {
  backendPromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const specFile =
      require.resolve("@octokit/openapi/package.json").replace(/package\.json$/, "") +
      SPEC_PATH.replace("node_modules/@octokit/openapi/", "");
    const definition = allowUntypedNulls(JSON.parse(readFileSync(specFile, "utf8"))) as Document;
    const addFormats = addFormatsModule as unknown as (ajv: unknown) => unknown;
    const api = new OpenAPIBackend({
      definition,
      quick: true,
      validate: true,
      coerceTypes: true,
      customizeAjv: (ajv) => {
        addFormats(ajv);
        ajv.addFormat("repo.nwo", REPO_NWO);
        return ajv;
      },
    });
    await api.init();
    return api;
  })();
  return backendPromise;
}

/**
 * `nullable` on a schema without `type` (issues/create's `milestone`, a `oneOf`) makes Ajv refuse to
 * compile the operation; say the same thing as one more alternative, `null`.
 */
function allowUntypedNulls(node: unknown): unknown {
  if (Array.isArray(node)) node.forEach(allowUntypedNulls);
  else if (node !== null && typeof node === "object") {
    const schema = node as Record<string, unknown>;
    if (schema["nullable"] === true && schema["type"] === undefined) {
      delete schema["nullable"];
      const alternatives = schema["oneOf"] ?? schema["anyOf"];
      if (Array.isArray(alternatives)) alternatives.push({ enum: [null] });
    }
    Object.values(schema).forEach(allowUntypedNulls);
  }
  return node;
}

const exampleCache = new Map<string, { status: number; mock: unknown }>();

/** The description's example response for an operation (a fresh copy each call). */
export function exampleResponse(api: OpenAPIBackend, operationId: string): { status: number; mock: unknown } {
  let cached = exampleCache.get(operationId);
  if (cached === undefined) {
    const { status, mock } = api.mockResponseForOperation(operationId) as { status: number; mock: unknown };
    cached = { status, mock };
    exampleCache.set(operationId, cached);
  }
  return { status: cached.status, mock: structuredClone(cached.mock) };
}

/**
 * Starts a fake api.github.com on 127.0.0.1 that validates every request against GitHub's OpenAPI
 * description (422 + `invalid` on any mismatch, 404 + `invalid` for a route GitHub lacks).
 * Stateful operations read and write `state` (seed it with `repo(owner, name)`, `addPull`,
 * `addCommit`, or by pushing into the arrays); the rest answer with the description's example.
 * `state.hooks.onRequest` runs before each valid request is answered (simulate a concurrent
 * client); `state.hooks.onWorkflowDispatch` after each dispatch (create the run it starts).
 * Tokens minted by `POST /app/installations/{id}/access_tokens` act as `state.appBot`; any other
 * token acts as `state.defaultActor` (`github-actions[bot]`).
 */
export async function startFakeGitHub(opts: StartFakeGitHubOptions = {}): Promise<FakeGitHub> {
  const api = await loadGitHubApi();
  const state = createFakeState();
  opts.seed?.(state);
  const calls: RecordedCall[] = [];
  const invalid: RecordedCall[] = [];
  let origin = "";

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
      }
      res.end(JSON.stringify({ message: `fake-github: ${String(error)}` }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", origin);
    const method = (req.method ?? "GET").toUpperCase();
    let path = url.pathname;
    let prefix = "";
    let upload = false;
    for (const p of [...UPLOAD_PREFIXES, API_PREFIX]) {
      if (path.startsWith(`${p}/`)) {
        prefix = p;
        upload = UPLOAD_PREFIXES.includes(p);
        path = path.slice(p.length);
        break;
      }
    }
    const query = parseQuery(url.searchParams);
    const contentType = String(req.headers["content-type"] ?? "");
    let body: unknown = undefined;
    if (raw.length > 0 && !upload) {
      if (/json/i.test(contentType) || contentType === "") {
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          return send(
            res,
            record(
              { operationId: "unknown", method, path, query, body: raw.toString("utf8"), status: 400 },
              true,
            ),
            {
              status: 400,
              body: { message: "Problems parsing JSON" },
            },
          );
        }
      } else {
        body = raw.toString("utf8");
      }
    }
    if (path.startsWith("/_fake/")) {
      const result = fakeInternal(path);
      return send(res, undefined, result);
    }

    const obReq: OBRequest = { method, path, headers: flatHeaders(req.headers), query, body };
    const operation = api.matchOperation(obReq) as Operation | undefined;
    if (operation === undefined || (upload && operation.operationId !== "repos/upload-release-asset")) {
      const call = record(
        { operationId: "unknown", method, path, query, body, status: 404, errors: "no such operation" },
        true,
      );
      return send(res, call, { status: 404, body: notFound() });
    }
    const operationId = operation.operationId ?? "unknown";
    const validation = api.validateRequest(upload ? { ...obReq, body: {} } : obReq, operation);
    const semantic = semanticErrors(operationId, body, query);
    if (!validation.valid || semantic.length > 0) {
      const errors = [...(validation.errors ?? []), ...semantic];
      const call = record({ operationId, method, path, query, body, status: 422, errors }, true);
      return send(res, call, {
        status: 422,
        body: {
          message: "Invalid request.",
          errors: errors.map((e) => (typeof e === "string" ? e : JSON.stringify(e))),
          documentation_url: "https://docs.github.com/rest",
          status: "422",
        },
      });
    }
    const params = decodeParams(api.router.parseRequest(obReq, operation).params as Record<string, string>);
    const auth = String(req.headers.authorization ?? "");
    const token = auth.replace(/^(token|bearer)\s+/i, "");
    const ctx: HandlerContext = {
      operationId,
      method,
      path,
      params,
      query,
      body,
      rawBody: raw,
      headers: flatHeaders(req.headers),
      apiBase: origin + (prefix === API_PREFIX ? API_PREFIX : ""),
      uploadBase: `${origin}/api/uploads`,
      origin,
      state,
      actor: state.tokens[token] ?? state.defaultActor,
      example: (id) => exampleResponse(api, id).mock as Record<string, unknown>,
    };
    state.hooks.onRequest?.({ operationId, params, body });
    const handler = handlers[operationId];
    const result: HandlerResult = handler !== undefined ? handler(ctx) : fallback(ctx);
    const call = record(
      {
        operationId,
        method,
        path,
        query,
        body: upload ? `<${raw.length} bytes>` : body,
        status: result.status,
      },
      false,
    );
    send(res, call, result);
  }

  function fallback(ctx: HandlerContext): HandlerResult {
    const { status, mock } = exampleResponse(api, ctx.operationId);
    return { status, body: mock };
  }

  function fakeInternal(path: string): HandlerResult {
    const artifact = /^\/_fake\/artifacts\/([^/]+)\/([^/]+)\/(\d+)\.zip$/.exec(path);
    if (artifact !== null) {
      const handler = handlers["fake/artifact-zip"];
      if (handler !== undefined) {
        return handler({
          operationId: "fake/artifact-zip",
          method: "GET",
          params: {
            owner: decodeURIComponent(artifact[1] ?? ""),
            repo: decodeURIComponent(artifact[2] ?? ""),
            artifact_id: artifact[3] ?? "",
          },
          query: {},
          body: undefined,
          rawBody: Buffer.alloc(0),
          headers: {},
          apiBase: origin,
          uploadBase: `${origin}/api/uploads`,
          origin,
          state,
          actor: state.defaultActor,
          example: (id) => exampleResponse(api, id).mock as Record<string, unknown>,
        });
      }
    }
    return { status: 404, body: notFound() };
  }

  function record(call: RecordedCall, bad: boolean): RecordedCall {
    calls.push(call);
    if (bad) invalid.push(call);
    return call;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: origin,
    gheHost: `127.0.0.1:${port}`,
    calls,
    invalid,
    state,
    repo: (owner, name) => ensureRepo(state, owner, name),
    callsTo: (operationId) => calls.filter((c) => c.operationId === operationId),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

/** Checks GitHub makes that its description does not express. */
function semanticErrors(
  operationId: string,
  body: unknown,
  query: Record<string, string | string[]>,
): string[] {
  const errors: string[] = [];
  const b = (body ?? {}) as Record<string, unknown>;
  if (operationId === "actions/create-workflow-dispatch") {
    const inputs = (b.inputs ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(inputs)) {
      if (typeof value !== "string" && typeof value !== "boolean" && typeof value !== "number") {
        errors.push(`inputs.${key} must be a scalar`);
      }
    }
  }
  if (operationId === "repos/upload-release-asset" && typeof query.name !== "string") {
    errors.push("name is required");
  }
  if (operationId === "git/create-ref") {
    const ref = String(b.ref ?? "");
    if (!ref.startsWith("refs/") || ref.split("/").length < 3)
      errors.push("ref must start with refs/ and have at least two slashes");
  }
  return errors;
}

function send(res: ServerResponse, call: RecordedCall | undefined, result: HandlerResult): void {
  if (call !== undefined) call.status = result.status;
  const headers: Record<string, string> = {
    "x-github-request-id": `FAKE:${Date.now().toString(16)}`,
    ...(result.headers ?? {}),
  };
  if (result.raw !== undefined) {
    headers["content-type"] ??= "application/octet-stream";
    headers["content-length"] = String(result.raw.length);
    res.writeHead(result.status, headers);
    res.end(result.raw);
    return;
  }
  if (result.body === undefined || result.status === 204) {
    res.writeHead(result.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(result.body);
  headers["content-type"] = "application/json; charset=utf-8";
  res.writeHead(result.status, headers);
  res.end(text);
}

function notFound(): Record<string, string> {
  return { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseQuery(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

function flatHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function decodeParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) out[key] = decodeURIComponent(String(value));
  return out;
}
