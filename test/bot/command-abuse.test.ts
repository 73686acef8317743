import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createFileDeliveryDedup } from "../../bot/file-delivery-dedup.ts";
import { botComments, commentPayload, reactionsOn, startHarness, type Harness } from "./bot-harness.ts";

let h: Harness;
let dir: string | undefined;
afterEach(async () => {
  await h.checkAndClose();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const lockRefs = () => Object.keys(h.repo.refs).filter((r) => r.includes("modelship-lock/"));

describe("commands from people without access, and too many commands", () => {
  it("20 /train comments by a non-collaborator: no reaction, no reply, at most one API call each", async () => {
    h = await startHarness();
    const payloads = Array.from({ length: 20 }, () =>
      commentPayload(h, { body: "/train", login: "stranger" }),
    );
    for (const p of payloads) await h.receive("issue_comment", p);
    expect(botComments(h, 1)).toEqual([]);
    expect(h.repo.reactions).toEqual([]);
    expect(h.repo.dispatches).toEqual([]);
    const ops = h.fake.calls.map((c) => c.operationId).filter((o) => !o.startsWith("apps/"));
    // Five within the per-user limit, one more to learn that the sixth comes from no collaborator.
    expect(ops).toEqual(Array(6).fill("repos/get-collaborator-permission-level"));
  });

  it("a writer's burst of /train: five run, one 'slow down' reply, the rest cost nothing", async () => {
    h = await startHarness();
    for (let i = 0; i < 20; i++) await h.receive("issue_comment", commentPayload(h, { body: "/train" }));
    expect(h.repo.dispatches).toHaveLength(5);
    const slow = botComments(h, 1).filter((c) => c.includes("`rate-limited`"));
    expect(slow).toHaveLength(1);
    expect(slow[0]).toContain("@Codertocat slow down");
  });

  it("the repository limit holds across users", async () => {
    h = await startHarness();
    h.repo.permissions = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`dev${i}`, "write"]));
    for (let i = 0; i < 40; i++)
      await h.receive("issue_comment", commentPayload(h, { body: "/help", login: `dev${i % 8}` }));
    const helps = botComments(h, 1).filter((c) => c.includes("here is what Modelship understands"));
    expect(helps).toHaveLength(30);
  });
});

describe("replayed and stale deliveries", () => {
  it("a signed /unlock delivery replayed to a restarted App does not release another maintainer's lock", async () => {
    dir = await mkdtemp(join(tmpdir(), "modelship-deliveries-"));
    const store = () =>
      createFileDeliveryDedup({ dir: dir!, retentionMs: 72 * 3_600_000, now: () => new Date() });
    h = await startHarness({ app: { dedup: store() } });
    h.repo.permissions.ops = "maintain";
    await h.receive("issue_comment", commentPayload(h, { body: "/lock production", login: "boss" }));
    const unlock = commentPayload(h, { body: "/unlock production", login: "boss" });
    await h.receive("issue_comment", unlock, "delivery-unlock");
    expect(lockRefs()).toEqual([]);
    await h.receive("issue_comment", commentPayload(h, { body: "/lock production", login: "ops" }));
    expect(lockRefs()).toHaveLength(1);

    await h.restart({ dedup: store() });
    await h.receive("issue_comment", unlock, "delivery-unlock");
    expect(lockRefs()).toHaveLength(1);
    expect(reactionsOn(h, unlock.comment.id)).toEqual(["eyes", "rocket"]);
  });

  it("without the durable store the same replay would release it (the attack the store stops)", async () => {
    h = await startHarness();
    h.repo.permissions.ops = "maintain";
    const unlock = commentPayload(h, { body: "/unlock production", login: "boss" });
    await h.receive("issue_comment", unlock, "delivery-unlock");
    await h.receive("issue_comment", commentPayload(h, { body: "/lock production", login: "ops" }));
    await h.restart();
    await h.receive("issue_comment", unlock, "delivery-unlock");
    expect(lockRefs()).toEqual([]);
  });

  it("a command comment older than the bound is refused under a fresh delivery id: no call at all", async () => {
    h = await startHarness();
    await h.receive("issue_comment", commentPayload(h, { body: "/lock production", login: "boss" }));
    const unlock = commentPayload(h, { body: "/unlock production", login: "boss" });
    unlock.comment.created_at = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const before = h.fake.calls.length;
    await h.receive("issue_comment", unlock, "a-new-delivery-id");
    expect(h.fake.calls.length).toBe(before);
    expect(lockRefs()).toHaveLength(1);
  });
});
