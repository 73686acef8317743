import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startRouter } from "../../../runners/serve/router.ts";
import type { Router } from "../../../runners/serve/router.ts";

type Upstream = { url: string; connections: number; server: Server; close(): Promise<void> };

/** A real HTTP server that answers `{ slot, method, path, body }` after `delayMs` (or `?delay=`). */
async function upstream(slot: string, delayMs = 0): Promise<Upstream> {
  const u = { connections: 0 } as Upstream;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const delay = Number(url.searchParams.get("delay") ?? delayMs);
      setTimeout(() => {
        const body = JSON.stringify({
          slot,
          method: req.method,
          path: url.pathname,
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(url.pathname === "/teapot" ? 418 : 200, {
          "content-type": "application/json",
          "x-upstream": slot,
        });
        res.end(body);
      }, delay);
    });
  });
  server.on("connection", () => u.connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  u.server = server;
  u.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  u.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return u;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: { upstreamTimeoutMs?: number; maxBodyBytes?: number } = {}) {
  const blue = await upstream("blue");
  const green = await upstream("green");
  const router: Router = await startRouter({ port: 0, ...opts });
  cleanups.push(blue.close, green.close, router.close);
  router.setSlot("blue", { url: blue.url, version: "1.0.0" });
  router.setSlot("green", { url: green.url, version: "2.0.0" });
  return { blue, green, router };
}

describe("router", () => {
  it("forwards method, path, body and status to the live slot and names it in headers", async () => {
    const { router } = await setup();
    router.switchTo("blue");
    const res = await fetch(`${router.url}/v2/models/iris/infer?x=1`, {
      method: "POST",
      body: '{"inputs":[]}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-modelship-slot")).toBe("blue");
    expect(res.headers.get("x-modelship-version")).toBe("1.0.0");
    expect(res.headers.get("x-upstream")).toBe("blue");
    expect(await res.json()).toEqual({
      slot: "blue",
      method: "POST",
      path: "/v2/models/iris/infer",
      body: '{"inputs":[]}',
    });
    const teapot = await fetch(`${router.url}/teapot`);
    expect(teapot.status).toBe(418);
    await teapot.arrayBuffer();
  });

  it.each([
    ["nothing is deployed", false, /no model version is deployed/],
    ["the live slot is down", true, /slot blue \(1\.0\.0\) is unreachable: ECONNREFUSED/],
  ])("answers 503 with a V2 error body when %s", async (_name, deployed, message) => {
    const { router, blue } = await setup();
    if (deployed) {
      router.switchTo("blue");
      await blue.close();
    }
    const t0 = performance.now();
    const res = await fetch(`${router.url}/v2/health/ready`);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(message);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it("answers 504 when the live slot does not answer in time", async () => {
    const { router } = await setup({ upstreamTimeoutMs: 150 });
    router.switchTo("green");
    const res = await fetch(`${router.url}/slow?delay=2000`);
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: string }).error).toMatch(/did not answer within 150 ms/);
    expect(router.stats("green")).toMatchObject({ inflight: 0, errors: 1 });
  });

  it("answers 413 when the body is over the limit", async () => {
    const { router } = await setup({ maxBodyBytes: 100 });
    router.switchTo("blue");
    const res = await fetch(`${router.url}/v2/models/m/infer`, { method: "POST", body: "x".repeat(1000) });
    expect(res.status).toBe(413);
    await res.arrayBuffer();
  });

  it("switches atomically: a request in flight finishes on the old slot, new ones go to the new slot", async () => {
    const { router } = await setup();
    router.switchTo("blue");
    const slow = fetch(`${router.url}/work?delay=400`).then(async (r) => ({
      slot: r.headers.get("x-modelship-slot"),
      body: (await r.json()) as { slot: string },
    }));
    await waitFor(() => router.stats("blue")?.inflight === 1);
    router.switchTo("green");
    expect(router.active()).toMatchObject({ colour: "green", version: "2.0.0" });
    const fast = await fetch(`${router.url}/work`);
    expect(fast.headers.get("x-modelship-slot")).toBe("green");
    await fast.arrayBuffer();
    expect(router.stats("blue")?.inflight).toBe(1);
    const idle = router.waitIdle("blue", 5_000);
    expect(await slow).toEqual({ slot: "blue", body: expect.objectContaining({ slot: "blue" }) });
    expect(await idle).toBe(true);
    expect(router.stats("blue")).toMatchObject({ inflight: 0, requests: 1, errors: 0 });
  });

  it("loses no request while traffic flips between colours under concurrent load", async () => {
    const { router } = await setup();
    router.switchTo("blue");
    const seen = { blue: 0, green: 0, failed: 0 };
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const res = await fetch(`${router.url}/v2/models/m/infer`, { method: "POST", body: "{}" });
          const slot = res.headers.get("x-modelship-slot");
          const body = (await res.json()) as { slot: string };
          if (res.status !== 200 || body.slot !== slot) seen.failed++;
          else seen[slot as "blue" | "green"]++;
        } catch {
          seen.failed++;
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 50));
      router.switchTo(i % 2 === 0 ? "green" : "blue");
    }
    stop = true;
    await Promise.all(workers);
    expect(seen.failed).toBe(0);
    expect(seen.blue).toBeGreaterThan(0);
    expect(seen.green).toBeGreaterThan(0);
  });

  it("reuses pooled keep-alive connections to a slot", async () => {
    const { router, blue } = await setup();
    router.switchTo("blue");
    for (let i = 0; i < 50; i++) await (await fetch(`${router.url}/ping`)).arrayBuffer();
    expect(router.stats("blue")?.requests).toBe(50);
    expect(blue.connections).toBeLessThanOrEqual(2);
  });

  it("keeps a sample per answered request for the post-switch check", async () => {
    const { router } = await setup();
    router.switchTo("green");
    const since = Date.now();
    await (await fetch(`${router.url}/ok`)).arrayBuffer();
    await (await fetch(`${router.url}/teapot`)).arrayBuffer();
    expect(router.samples("green", since).map((s) => s.status)).toEqual([200, 418]);
    expect(router.samples("blue", since)).toEqual([]);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
