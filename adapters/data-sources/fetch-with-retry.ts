import { ModelshipError } from "../../core/errors.ts";

export type RetryContext = {
  /** Waits between tries; tests hand in one that records the delays. */
  sleep: (ms: number) => Promise<void>;
  /** First backoff delay; doubled on every retry (default 500 ms, at most 30 s). */
  backoffMs: number;
};

const MAX_BACKOFF_MS = 30_000;
/** A Retry-After longer than this is not waited for. */
const MAX_RETRY_AFTER_MS = 120_000;

/**
 * GET with retries on 429, 5xx and network failures: exponential backoff, or the server's
 * Retry-After (seconds or an HTTP date) when it sends one. Other non-2xx answers (except 304)
 * are errors naming the status, never the body.
 */
export async function fetchWithRetry(
  url: string,
  opts: Partial<RetryContext> & {
    headers: Record<string, string>;
    retries: number;
    timeoutMs: number;
    at: string;
    fetch: typeof globalThis.fetch;
    now?: () => number;
  },
): Promise<Response> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const base = opts.backoffMs ?? 500;
  const shown = redactUrl(url);
  for (let attempt = 0; ; attempt++) {
    let res: Response | undefined;
    let failure: string;
    try {
      res = await opts.fetch(url, {
        headers: opts.headers,
        signal: AbortSignal.timeout(opts.timeoutMs),
        redirect: "manual",
      });
      if (res.ok || res.status === 304) return res;
      failure = `HTTP ${res.status}`;
      await res.body?.cancel();
      if (res.status >= 300 && res.status < 400) {
        throw httpError(
          opts.at,
          shown,
          `${failure}: redirected; not followed, the headers may hold secrets`,
          false,
        );
      }
      if (res.status !== 429 && res.status < 500) throw httpError(opts.at, shown, failure, false);
    } catch (err) {
      if (err instanceof ModelshipError) throw err;
      failure =
        (err as Error).name === "TimeoutError" ? `no answer within ${opts.timeoutMs} ms` : "network error";
    }
    if (attempt >= opts.retries) throw httpError(opts.at, shown, failure, true);
    const asked = res ? retryAfterMs(res.headers.get("retry-after"), opts.now?.() ?? Date.now()) : undefined;
    if (asked !== undefined && asked > MAX_RETRY_AFTER_MS) {
      throw httpError(opts.at, shown, `${failure}, Retry-After ${Math.round(asked / 1000)} s`, true);
    }
    await sleep(asked ?? Math.min(base * 2 ** attempt, MAX_BACKOFF_MS));
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The URL without credentials or query string (tokens often ride in it). */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}${u.search ? "?…" : ""}`;
}

function httpError(at: string, url: string, failure: string, retried: boolean): ModelshipError {
  return new ModelshipError({
    code: "data-http-failed",
    message: `${at}: GET ${url} failed: ${failure}${retried ? " (after retries)" : ""}`,
    hint:
      failure.startsWith("HTTP 401") || failure.startsWith("HTTP 403")
        ? "Check the token in the headers' environment variable and its scopes."
        : "Check the URL with curl and the same headers; raise retries for a flaky API.",
  });
}
