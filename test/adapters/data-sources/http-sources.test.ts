import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpSource } from "../../../adapters/data-sources/http-source.ts";
import { retryAfterMs } from "../../../adapters/data-sources/fetch-with-retry.ts";
import { parseLinkNext } from "../../../adapters/data-sources/next-page-url.ts";
import { pullData } from "../../../adapters/data-sources/pull-data.ts";
import { DataSourceConfigSchema, type HttpSourceConfig } from "../../../core/config/data-sources-schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { dataConfig, makeDataRepo, removeRepo } from "./data-fixtures.ts";

const TOKEN = "s3cret-token-value";
const PENGUINS = Array.from({ length: 7 }, (_, i) => ({
  id: i + 1,
  island: ["biscoe", "dream"][i % 2],
  mass: 3000 + i,
}));

type Seen = { path: string; auth: string | undefined; ifNoneMatch: string | undefined; status: number };
let server: Server;
let base: string;
let seen: Seen[] = [];
let flaky: number[] = [];

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** A paginated JSON API on loopback: three pages of PENGUINS per scheme, ETags, failures on demand. */
function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url!, base);
  const record = (status: number) =>
    seen.push({
      path: `${url.pathname}${url.search}`,
      auth: req.headers.authorization,
      ifNoneMatch: req.headers["if-none-match"] as string | undefined,
      status,
    });
  if (req.headers.authorization !== `Bearer ${TOKEN}` && url.pathname !== "/public") {
    record(401);
    return send(res, 401, { error: "bad token" });
  }
  const page = Number(url.searchParams.get("page") ?? 1);
  const slice = (p: number) => PENGUINS.slice((p - 1) * 3, p * 3);
  switch (url.pathname) {
    case "/link": {
      const etag = `"link-${page}"`;
      if (req.headers["if-none-match"] === etag) {
        record(304);
        return send(res, 304, undefined, { etag });
      }
      record(200);
      const next =
        page < 3 ? { link: `</link?page=${page + 1}>; rel="next", </link?page=3>; rel="last"` } : {};
      return send(res, 200, { items: slice(page) }, { etag, ...next });
    }
    case "/cursor": {
      const at = Number(url.searchParams.get("after") ?? 0);
      record(200);
      return send(res, 200, {
        data: { items: PENGUINS.slice(at, at + 3) },
        meta: { next: at + 3 < 7 ? String(at + 3) : null },
      });
    }
    case "/page":
      record(200);
      return send(res, 200, slice(page));
    case "/offset": {
      const offset = Number(url.searchParams.get("offset"));
      const limit = Number(url.searchParams.get("limit"));
      record(200);
      return send(res, 200, { rows: PENGUINS.slice(offset, offset + limit) });
    }
    case "/flaky": {
      const status = flaky.shift() ?? 200;
      record(status);
      if (status === 200) return send(res, 200, { items: slice(1) });
      return send(res, status, { error: "busy" }, status === 503 ? { "retry-after": "2" } : {});
    }
    case "/down":
      record(500);
      return send(res, 500, { error: TOKEN });
    case "/notjson":
      record(200);
      res.writeHead(200, { "content-type": "text/html" });
      return res.end(`<html>${TOKEN}</html>`);
    case "/cross":
      record(200);
      return send(
        res,
        200,
        { items: slice(1) },
        { link: `<${base.replace("127.0.0.1", "localhost")}/link>; rel="next"` },
      );
    case "/redirect":
      record(302);
      return send(res, 302, {}, { location: "/link" });
    case "/endless":
      record(200);
      return send(res, 200, { items: slice(1) }, { link: `</endless?page=${page + 1}>; rel="next"` });
    case "/scalars":
      record(200);
      return send(res, 200, { items: [1, 2] });
    default:
      record(404);
      return send(res, 404, {});
  }
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let repo: string;
beforeEach(async () => {
  seen = [];
  flaky = [];
  repo = await makeDataRepo();
});
afterEach(async () => removeRepo(repo));

const env = { TOKEN };
function http(path: string, extra: Record<string, unknown> = {}): HttpSourceConfig {
  return DataSourceConfigSchema.parse({
    kind: "http",
    url: `${base}${path}`,
    headers: { Authorization: "Bearer ${TOKEN}" },
    ...extra,
  }) as HttpSourceConfig;
}
const pull = (config: HttpSourceConfig, snapshotsDir: string | null = null) =>
  pullData({ repoDir: repo, data: dataConfig([config]), env, snapshotsDir });

async function failure(p: Promise<unknown>): Promise<ModelshipError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelshipError);
  expect((err as Error).message).not.toContain(TOKEN);
  return err as ModelshipError;
}

describe("http sources", () => {
  it.each([
    ["Link header", "/link?page=1", { records: "$.items", pagination: { type: "link" } }, 3],
    [
      "cursor field",
      "/cursor",
      { records: "$.data.items", pagination: { type: "cursor", field: "$.meta.next", param: "after" } },
      3,
    ],
    ["page parameter", "/page", { pagination: { type: "page" } }, 4],
    ["offset parameter", "/offset", { records: "$.rows", pagination: { type: "offset", limit: 3 } }, 3],
  ])("follows pagination by %s to every row, in order", async (_name, path, extra, pages) => {
    const data = await pull(http(path, extra));
    expect(data.rows).toEqual(PENGUINS);
    expect(seen).toHaveLength(pages);
    expect(seen.every((s) => s.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(data.origin(6)).toEqual({ source: `${base}${path}`, row: 7 });
    expect(data.snapshot.parts[0]!.source).toMatchObject({ kind: "http", url: `${base}${path}`, pages });
  });

  it("asks with If-None-Match on a re-pull and reuses the rows of pages that did not change", async () => {
    const store = join(repo, ".modelship/data");
    const config = http("/link?page=1", { records: "$.items", pagination: { type: "link" } });
    const first = await pull(config, store);
    expect(seen.map((s) => s.status)).toEqual([200, 200, 200]);
    seen = [];
    const second = await pull(config, store);
    expect(seen.map((s) => [s.ifNoneMatch, s.status])).toEqual([
      ['"link-1"', 304],
      ['"link-2"', 304],
      ['"link-3"', 304],
    ]);
    expect(second.rows).toEqual(PENGUINS);
    expect(second.snapshot.version).toBe(first.snapshot.version);
    const manifest = await readFile(join(second.snapshotDir!, "snapshot.json"), "utf8");
    expect(manifest).not.toContain(TOKEN);
    expect(JSON.parse(manifest).parts[0].source.etags).toEqual(['"link-1"', '"link-2"', '"link-3"']);
  });

  it("retries 503 after the Retry-After it names and 429 with exponential backoff", async () => {
    flaky = [503, 429, 429];
    const waits: number[] = [];
    const source = createHttpSource(http("/flaky", { records: "$.items" }), {
      env,
      at: "data.sources[0]",
      sleep: async (ms) => void waits.push(ms),
      backoffMs: 100,
    });
    const rows = [];
    for await (const batch of source.read({ batchRows: 100 })) rows.push(...batch);
    expect(rows).toEqual(PENGUINS.slice(0, 3));
    expect(waits).toEqual([2000, 200, 400]);
    expect(seen.map((s) => s.status)).toEqual([503, 429, 429, 200]);
  });

  it("gives up after the configured retries, naming the status and never the body", async () => {
    const waits: number[] = [];
    const source = createHttpSource(http("/down", { retries: 2 }), {
      env,
      at: "data.sources[0]",
      sleep: async (ms) => void waits.push(ms),
      backoffMs: 10,
    });
    const err = await failure(
      (async () => {
        for await (const _ of source.read({ batchRows: 10 })) void _;
      })(),
    );
    expect(err.code).toBe("data-http-failed");
    expect(err.message).toContain("HTTP 500 (after retries)");
    expect(waits).toEqual([10, 20]);
    expect(seen).toHaveLength(3);
  });

  it.each([
    ["/notjson", {}, "data-http-invalid-json"],
    ["/link?page=1", { records: "$.nothing" }, "data-http-records-missing"],
    ["/scalars", { records: "$.items" }, "data-row-not-object"],
    ["/cross", { records: "$.items", pagination: { type: "link" } }, "data-http-cross-origin"],
    ["/redirect", {}, "data-http-failed"],
    ["/endless", { records: "$.items", pagination: { type: "link" }, maxPages: 4 }, "data-http-limit"],
    ["/endless", { records: "$.items", pagination: { type: "link" }, maxRows: 7 }, "data-http-limit"],
    ["/nowhere", { retries: 0 }, "data-http-failed"],
  ])("refuses %s %j with %s", async (path, extra, code) => {
    const err = await failure(pull(http(path, extra)));
    expect(err.code).toBe(code);
  });

  it("needs the header's environment variable and never sends a literal ${NAME}", async () => {
    const err = await failure(
      pullData({ repoDir: repo, data: dataConfig([http("/link")]), env: {}, snapshotsDir: null }),
    );
    expect(err.code).toBe("data-env-missing");
    expect(err.message).toContain("TOKEN");
    expect(seen).toEqual([]);
  });

  it.each([
    [
      '<https://a.test/x?page=2>; rel="next", <https://a.test/x?page=9>; rel="last"',
      "https://a.test/x?page=2",
    ],
    [
      '<https://a.test/x?page=9>; rel="last", <https://a.test/x?page=2>; rel="prev next"',
      "https://a.test/x?page=2",
    ],
    ['<https://a.test/x?page=1>; rel="prev"', null],
    [null, null],
  ])("reads rel=next from Link: %s", (header, next) => {
    expect(parseLinkNext(header)).toBe(next);
  });

  it.each([
    ["3", 3000],
    ["Wed, 21 Oct 2015 07:28:10 GMT", 10_000],
    ["soon", undefined],
  ])("reads Retry-After %s as %s ms", (value, ms) => {
    expect(retryAfterMs(value, Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(ms);
  });
});
