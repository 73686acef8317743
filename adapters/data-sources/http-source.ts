import { JSONPath } from "jsonpath-plus";
import type { HttpSourceConfig } from "../../core/config/data-sources-schema.ts";
import { expandEnvReferences } from "../../core/config/expand-env-references.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { DataSource, Row } from "./data-source.ts";
import { fetchWithRetry, type RetryContext } from "./fetch-with-retry.ts";
import { firstPageUrl, nextPageUrl } from "./next-page-url.ts";

/** One page as fetched before: lets a re-pull ask `If-None-Match` and reuse the rows on 304. */
export type HttpPageMemo = { url: string; etag: string | null; next: string | null; rows: Row[] };

export type HttpSourceContext = Partial<RetryContext> & {
  env: Readonly<Record<string, string | undefined>>;
  at: string;
  fetch?: typeof globalThis.fetch;
  /** Pages of the previous pull of this very source, in order. */
  previous?: readonly HttpPageMemo[];
};

/**
 * Rows of a paginated JSON API: each page's records at a JSONPath, pages followed by Link header,
 * cursor, page number or offset, within `maxPages` and `maxRows`. Headers are expanded from the
 * environment when reading and never recorded.
 */
export function createHttpSource(
  config: HttpSourceConfig,
  ctx: HttpSourceContext,
): DataSource & { pages(): HttpPageMemo[] } {
  const etags: Array<string | null> = [];
  const memo: HttpPageMemo[] = [];
  const description = { kind: "http" as const, url: config.url, pages: 0, etags };
  return {
    description,
    pages: () => memo,
    async *read(): AsyncGenerator<Row[]> {
      const headers = expandHeaders(config, ctx);
      const origin = new URL(config.url).origin;
      let url: string | null = firstPageUrl(config.url, config.pagination);
      let rows = 0;
      for (let page = 0; url !== null; page++) {
        if (page >= config.maxPages) throw limit(ctx.at, `more than maxPages (${config.maxPages}) pages`);
        if (new URL(url).origin !== origin) throw crossOrigin(ctx.at, config.url);
        const before: HttpPageMemo | undefined = ctx.previous?.[page];
        const conditional: HttpPageMemo | undefined =
          before && before.url === url && before.etag ? before : undefined;
        const res = await fetchWithRetry(url, {
          headers: {
            accept: "application/json",
            ...headers,
            ...(conditional ? { "if-none-match": conditional.etag! } : {}),
          },
          retries: config.retries,
          timeoutMs: config.timeoutSeconds * 1000,
          at: ctx.at,
          fetch: ctx.fetch ?? globalThis.fetch,
          ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
          ...(ctx.backoffMs !== undefined ? { backoffMs: ctx.backoffMs } : {}),
        });
        let records: Row[];
        let next: string | null;
        if (res.status === 304 && conditional) {
          records = conditional.rows;
          next = conditional.next;
          etags.push(conditional.etag);
        } else {
          const body = await readJsonBody(res, ctx.at, page + 1);
          records = recordsOf(body, config.records, ctx.at, page + 1);
          next = nextPageUrl({
            url,
            pagination: config.pagination,
            linkHeader: res.headers.get("link"),
            body,
            records: records.length,
            first: config.url,
          });
          etags.push(res.headers.get("etag"));
        }
        memo.push({ url, etag: etags[etags.length - 1] ?? null, next, rows: records });
        description.pages = page + 1;
        rows += records.length;
        if (rows > config.maxRows) throw limit(ctx.at, `more than maxRows (${config.maxRows}) rows`);
        if (records.length > 0) yield records;
        url = next;
      }
    },
    close: async () => undefined,
  };
}

function expandHeaders(config: HttpSourceConfig, ctx: HttpSourceContext): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config.headers).map(([k, v]) => [
      k,
      expandEnvReferences(v, ctx.env, `${ctx.at}.headers.${k}`),
    ]),
  );
}

async function readJsonBody(res: Response, at: string, page: number): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ModelshipError({
      code: "data-http-invalid-json",
      message: `${at}: page ${page} (HTTP ${res.status}, ${res.headers.get("content-type") ?? "no content type"}) is not JSON`,
      hint: "The URL must answer JSON; check it with curl and the same headers.",
    });
  }
}

function recordsOf(body: unknown, path: string, at: string, page: number): Row[] {
  const found = JSONPath({ path, json: body as object, wrap: true }) as unknown[];
  const list = found.length === 1 && Array.isArray(found[0]) ? (found[0] as unknown[]) : found;
  if (found.length === 0 && path !== "$") {
    throw new ModelshipError({
      code: "data-http-records-missing",
      message: `${at}: records path ${path} matches nothing in page ${page}`,
      hint: "Set records to the JSONPath of the row array in each page, e.g. $.data.items.",
    });
  }
  list.forEach((r, i) => {
    if (r === null || typeof r !== "object" || Array.isArray(r)) {
      throw new ModelshipError({
        code: "data-row-not-object",
        message: `${at}: record ${i + 1} of page ${page} is not an object`,
        hint: "The records path must select objects of column: value.",
      });
    }
  });
  return list as Row[];
}

function limit(at: string, what: string): ModelshipError {
  return new ModelshipError({
    code: "data-http-limit",
    message: `${at}: the API returned ${what}; stopped without using a partial pull`,
    hint: "Raise maxPages / maxRows on the source if that much data is expected, or filter on the server side.",
  });
}

function crossOrigin(at: string, first: string): ModelshipError {
  return new ModelshipError({
    code: "data-http-cross-origin",
    message: `${at}: the next page is on another origin than ${new URL(first).origin}; not followed`,
    hint: "Pages are only followed on the first URL's origin, so the source's headers (and secrets) never go elsewhere.",
  });
}
