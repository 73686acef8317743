/** What the rate limiter says about one more command: run it, say "slow down" once, or drop it. */
export type RateVerdict = "ok" | "slow-down" | "drop";

export type CommandRateLimiter = {
  take(repository: string, user: string, now: Date): RateVerdict | Promise<RateVerdict>;
};

/**
 * Fixed-window limits per user (per repository) and per repository. The first command over a
 * limit in a window is answered with one "slow down"; the rest of the window is dropped silently,
 * costing no API call. Kept in this process: replicas each count their own share (with
 * `REDIS_URL` set, `createRedisCommandRateLimiter` shares one count between them).
 */
export function createCommandRateLimiter(
  opts: { perUser?: number; perRepository?: number; windowMs?: number } = {},
): CommandRateLimiter {
  const perUser = opts.perUser ?? 5;
  const perRepository = opts.perRepository ?? 30;
  const windowMs = opts.windowMs ?? 60_000;
  const windows = new Map<string, { start: number; count: number; warned: boolean }>();
  const bump = (key: string, limit: number, t: number): RateVerdict => {
    let w = windows.get(key);
    if (w === undefined || t - w.start >= windowMs) {
      w = { start: t, count: 0, warned: false };
      windows.set(key, w);
    }
    w.count++;
    if (w.count <= limit) return "ok";
    if (w.warned) return "drop";
    w.warned = true;
    return "slow-down";
  };
  return {
    take(repository, user, now) {
      const t = now.getTime();
      if (windows.size > 10_000) {
        for (const [k, w] of windows) if (t - w.start >= windowMs) windows.delete(k);
      }
      const byUser = bump(`u:${repository}:${user.toLowerCase()}`, perUser, t);
      if (byUser !== "ok") return byUser;
      return bump(`r:${repository}`, perRepository, t);
    },
  };
}
