import { JSONPath } from "jsonpath-plus";
import type { Pagination } from "../../core/config/data-sources-schema.ts";

/** The URL of the page after `url`, or null when this was the last one. */
export function nextPageUrl(opts: {
  url: string;
  first: string;
  pagination: Pagination;
  linkHeader: string | null;
  body: unknown;
  records: number;
}): string | null {
  const p = opts.pagination;
  switch (p.type) {
    case "none":
      return null;
    case "link": {
      const next = parseLinkNext(opts.linkHeader);
      return next === null ? null : new URL(next, opts.url).toString();
    }
    case "cursor": {
      const found = JSONPath({ path: p.field, json: opts.body as object, wrap: true }) as unknown[];
      const cursor = found[0];
      if (cursor === undefined || cursor === null || cursor === "" || cursor === false) return null;
      return withParam(opts.first, p.param, String(cursor));
    }
    case "page": {
      if (opts.records === 0) return null;
      const current = Number(new URL(opts.url).searchParams.get(p.param) ?? p.start);
      return withParam(opts.first, p.param, String(current + 1));
    }
    case "offset": {
      if (opts.records < p.limit) return null;
      const current = Number(new URL(opts.url).searchParams.get(p.param) ?? 0);
      return withParams(opts.first, {
        [p.param]: String(current + opts.records),
        [p.limitParam]: String(p.limit),
      });
    }
  }
}

/** The first URL of a paginated source: page and offset schemes set their parameters from the start. */
export function firstPageUrl(url: string, p: Pagination): string {
  if (p.type === "page" && !new URL(url).searchParams.has(p.param))
    return withParam(url, p.param, String(p.start));
  if (p.type === "offset") {
    const u = new URL(url);
    return withParams(url, {
      [p.param]: u.searchParams.get(p.param) ?? "0",
      [p.limitParam]: String(p.limit),
    });
  }
  return url;
}

/** rel="next" of an RFC 8288 Link header. */
export function parseLinkNext(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) return m[1]!;
  }
  return null;
}

function withParam(url: string, name: string, value: string): string {
  return withParams(url, { [name]: value });
}

function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
