import { createHash } from "node:crypto";
import type { DeliveryDedup } from "./dedup-deliveries.ts";

/** The one Redis command the store needs (ioredis' `set` with NX and PX, and `del`). */
export type RedisSetDel = {
  set(key: string, value: string, px: "PX", ms: number, nx: "NX"): Promise<"OK" | null>;
  del(key: string): Promise<number>;
};

/**
 * Delivery ids kept in Redis (the `REDIS_URL` Probot also uses), shared by every replica and kept
 * across restarts: a claim is one `SET key 1 PX retention NX`, atomic on the server, so two
 * replicas cannot both claim an id; Redis expires ids after the retention window by itself.
 */
export function createRedisDeliveryDedup(opts: {
  redis: RedisSetDel;
  retentionMs: number;
  prefix?: string;
}): DeliveryDedup {
  const prefix = opts.prefix ?? "modelship:delivery:";
  const keyOf = (id: string) => `${prefix}${createHash("sha256").update(id).digest("hex")}`;
  return {
    async claim(id) {
      return (await opts.redis.set(keyOf(id), "1", "PX", opts.retentionMs, "NX")) === "OK";
    },
    async release(id) {
      await opts.redis.del(keyOf(id));
    },
  };
}
