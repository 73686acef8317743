import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRedisCommandRateLimiter } from "../../bot/redis-command-rate-limit.ts";
import { createRedisDeliveryDedup } from "../../bot/redis-delivery-dedup.ts";
import { HAS_REDIS, startRedisServer, type RedisServer } from "../support/redis-server.ts";
import { botComments, commentPayload, reactionsOn, startHarness, type Harness } from "./bot-harness.ts";

// Replicas are separate clients (separate connections) on one real Redis server.
let server: RedisServer;
const clients: Redis[] = [];
const client = () => {
  const c = new Redis(server.url, { maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
  await server?.stop();
});

describe.skipIf(!HAS_REDIS)("Redis stores shared by replicas", () => {
  it("a delivery id is claimed exactly once across replicas and restarts, and expires after the window", async () => {
    const replicas = [client(), client(), client()].map((redis) =>
      createRedisDeliveryDedup({ redis, retentionMs: 400, prefix: "t1:" }),
    );
    const claims = await Promise.all(
      Array.from({ length: 30 }, (_, i) => replicas[i % 3]!.claim("delivery-1")),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const restarted = createRedisDeliveryDedup({ redis: client(), retentionMs: 400, prefix: "t1:" });
    expect(await restarted.claim("delivery-1")).toBe(false);
    await restarted.release("delivery-1");
    expect(await replicas[1]!.claim("delivery-1")).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(await replicas[2]!.claim("delivery-1")).toBe(true);
  });

  it("rate limits count once across replicas: five run, one 'slow down', the rest dropped", async () => {
    const now = new Date("2026-06-01T00:00:10Z");
    const limiters = [client(), client()].map((redis) =>
      createRedisCommandRateLimiter({ redis, perUser: 5, perRepository: 30, prefix: "t2:" }),
    );
    const verdicts: string[] = [];
    for (let i = 0; i < 12; i++) verdicts.push(await limiters[i % 2]!.take("o/r", "Dev", now));
    expect(verdicts).toEqual(["ok", "ok", "ok", "ok", "ok", "slow-down", ...Array(6).fill("drop")]);
    // The user's name is case-insensitive; the next window starts over.
    expect(await limiters[0]!.take("o/r", "dev", now)).toBe("drop");
    expect(await limiters[1]!.take("o/r", "dev", new Date(now.getTime() + 60_000))).toBe("ok");
  });

  it("the repository limit holds across users and replicas", async () => {
    const now = new Date("2026-06-01T00:00:10Z");
    const limiters = [client(), client(), client()].map((redis) =>
      createRedisCommandRateLimiter({ redis, perUser: 5, perRepository: 30, prefix: "t3:" }),
    );
    const verdicts: string[] = [];
    for (let i = 0; i < 40; i++) verdicts.push(await limiters[i % 3]!.take("o/r", `dev${i % 8}`, now));
    expect(verdicts.filter((v) => v === "ok")).toHaveLength(30);
    expect(verdicts.filter((v) => v === "slow-down")).toHaveLength(1);
  });
});

describe.skipIf(!HAS_REDIS)("the App with Redis, against the fake GitHub", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    expect(h?.fake.invalid).toEqual([]);
    await h?.close();
    h = undefined;
  });
  const app = (prefix: string) => {
    const redis = client();
    return {
      dedup: createRedisDeliveryDedup({ redis, retentionMs: 72 * 3_600_000, prefix: `${prefix}d:` }),
      rateLimit: createRedisCommandRateLimiter({ redis, prefix: `${prefix}r:` }),
    };
  };
  const lockRefs = (x: Harness) => Object.keys(x.repo.refs).filter((r) => r.includes("modelship-lock/"));

  it("a replayed /unlock reaching another replica does not release another maintainer's lock", async () => {
    h = await startHarness({ app: app("t4:") });
    h.repo.permissions.ops = "maintain";
    await h.receive("issue_comment", commentPayload(h, { body: "/lock production", login: "boss" }));
    const unlock = commentPayload(h, { body: "/unlock production", login: "boss" });
    await h.receive("issue_comment", unlock, "delivery-unlock");
    await h.receive("issue_comment", commentPayload(h, { body: "/lock production", login: "ops" }));
    expect(lockRefs(h)).toHaveLength(1);
    await h.restart(app("t4:"));
    await h.receive("issue_comment", unlock, "delivery-unlock");
    expect(lockRefs(h)).toHaveLength(1);
    expect(reactionsOn(h, unlock.comment.id)).toEqual(["eyes", "rocket"]);
  });

  it("a burst of /train split between two replicas: five run and one 'slow down' in all", async () => {
    h = await startHarness({ app: app("t5:") });
    for (let i = 0; i < 10; i++) await h.receive("issue_comment", commentPayload(h, { body: "/train" }));
    await h.restart(app("t5:"));
    for (let i = 0; i < 10; i++) await h.receive("issue_comment", commentPayload(h, { body: "/train" }));
    expect(h.repo.dispatches).toHaveLength(5);
    expect(botComments(h, 1).filter((c) => c.includes("`rate-limited`"))).toHaveLength(1);
  });
});
