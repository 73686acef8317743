import type { CommandRateLimiter, RateVerdict } from "./command-rate-limit.ts";

/** The Redis commands the limiter needs, as ioredis names them. */
export type RedisCounter = { multi(): RedisPipeline };

type RedisPipeline = {
  incr(key: string): RedisPipeline;
  pexpire(key: string, ms: number): RedisPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
};

/**
 * The same fixed-window limits as `createCommandRateLimiter`, counted in Redis so every replica
 * shares one count: one `INCR` per window key (with its expiry) per command. The command that
 * takes a window's count to limit + 1 gets the one "slow down", whichever replica sees it.
 */
export function createRedisCommandRateLimiter(opts: {
  redis: RedisCounter;
  perUser?: number;
  perRepository?: number;
  windowMs?: number;
  prefix?: string;
}): CommandRateLimiter {
  const perUser = opts.perUser ?? 5;
  const perRepository = opts.perRepository ?? 30;
  const windowMs = opts.windowMs ?? 60_000;
  const prefix = opts.prefix ?? "modelship:rate:";
  const bump = async (key: string, limit: number, t: number): Promise<RateVerdict> => {
    const windowKey = `${prefix}${key}:${Math.floor(t / windowMs)}`;
    const replies = await opts.redis.multi().incr(windowKey).pexpire(windowKey, windowMs).exec();
    const [err, count] = replies?.[0] ?? [new Error("no reply"), 0];
    if (err || typeof count !== "number") throw err ?? new Error(`unexpected INCR reply ${String(count)}`);
    if (count <= limit) return "ok";
    return count === limit + 1 ? "slow-down" : "drop";
  };
  return {
    async take(repository, user, now) {
      const t = now.getTime();
      const byUser = await bump(`u:${repository}:${user.toLowerCase()}`, perUser, t);
      if (byUser !== "ok") return byUser;
      return bump(`r:${repository}`, perRepository, t);
    },
  };
}
