/** Polls `GET /v2/health/ready` until it answers 200; false when `timeoutMs` passes first. */
export async function probeReady(opts: {
  url: string;
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal;
}): Promise<{ ready: boolean; lastStatus: string }> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastStatus = "no answer";
  for (;;) {
    if (opts.signal?.aborted) return { ready: false, lastStatus: "aborted" };
    const left = deadline - Date.now();
    // One second per probe, as Kubernetes does by default, but never past the deadline.
    const probeTimeout = Math.max(1, Math.min(1_000, left));
    try {
      const res = await fetch(`${opts.url}/v2/health/ready`, { signal: AbortSignal.timeout(probeTimeout) });
      await res.arrayBuffer();
      lastStatus = `HTTP ${res.status}`;
      if (res.status === 200) return { ready: true, lastStatus };
    } catch (err) {
      lastStatus = errorCode(err);
    }
    const wait = Math.min(opts.intervalMs, deadline - Date.now());
    if (wait <= 0) return { ready: false, lastStatus };
    await sleep(wait, opts.signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function errorCode(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return "timeout";
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
