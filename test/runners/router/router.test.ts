import { createServer, request as httpRequest } from "node:http";
import type { Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startRouter } from "../../../runners/router/router.ts";
import type { Router, RouterOptions } from "../../../runners/router/router.ts";

type Upstream = {
  url: string;
  connections: number;
  /** Body bytes received so far, over all requests. */
  bytesIn: number;
  server: Server;
  close(): Promise<void>;
};

/** A real HTTP server that answers `{ slot, method, path, body }` after `delayMs` (or `?delay=`). */
async function upstream(slot: string, delayMs = 0): Promise<Upstream> {
  const u = { connections: 0, bytesIn: 0 } as Upstream;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      u.bytesIn += c.length;
      chunks.push(c);
    });
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

async function setup(opts: Omit<RouterOptions, "port"> = {}) {
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

  it.each([
    ["declared in Content-Length", false],
    ["sent chunked, without a length", true],
  ])(
    "answers a readable 413 with a V2 error body when a body over the limit is %s",
    async (_name, chunked) => {
      const { router, blue } = await setup({ maxBodyBytes: 64 * 1024 });
      router.switchTo("blue");
      const big = Buffer.alloc(3 * 1024 * 1024, 120);
      const body = chunked
        ? new ReadableStream({
            start(c) {
              for (let at = 0; at < big.length; at += 64 * 1024) c.enqueue(big.subarray(at, at + 64 * 1024));
              c.close();
            },
          })
        : big;
      const res = await fetch(`${router.url}/v2/models/m/infer`, {
        method: "POST",
        body,
        duplex: "half",
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({
        code: "body-too-large",
        error: "request body is larger than the limit of 65536 bytes",
      });
      // A declared length is refused before a byte is forwarded; a chunked body is cut at the limit.
      expect(blue.bytesIn).toBeLessThanOrEqual(chunked ? 64 * 1024 : 0);
      expect(router.stats("blue")?.errors).toBe(0);
      const after = await fetch(`${router.url}/ok`);
      expect(after.status).toBe(200);
      await after.arrayBuffer();
    },
  );

  it("streams a request body to the slot while the client is still sending it", async () => {
    const { router, blue } = await setup();
    router.switchTo("blue");
    const chunk = "x".repeat(64 * 1024);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${router.url}/v2/models/m/infer`, { method: "POST" }, (r) => {
        let text = "";
        r.on("data", (d: Buffer) => (text += d.toString()));
        r.on("end", () => resolve({ status: r.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.write(chunk);
      // The rest is sent only once the slot holds the first part: a buffering router would wait forever.
      waitFor(() => blue.bytesIn >= chunk.length).then(() => req.end(chunk), reject);
    });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { body: string }).body.length).toBe(2 * chunk.length);
  });

  it("closes trickling bodies after the request timeout while good requests keep succeeding", async () => {
    const { router } = await setup({ requestTimeoutMs: 600, maxConnections: 64 });
    router.switchTo("blue");
    const tricklers = Array.from({ length: 20 }, () => trickle(router.url, 100));
    const tally = { ok: 0, failed: 0 };
    const t0 = performance.now();
    while (performance.now() - t0 < 1_500) {
      const r = await fetch(`${router.url}/v2/models/m/infer`, { method: "POST", body: "{}" }).catch(
        () => null,
      );
      if (r?.status === 200) tally.ok++;
      else tally.failed++;
      await r?.arrayBuffer();
    }
    const closed = await Promise.all(tricklers);
    for (const c of closed) {
      expect(c.closedAfterMs).toBeGreaterThanOrEqual(550);
      expect(c.closedAfterMs).toBeLessThan(2_500);
      expect([408, null]).toContain(c.status);
    }
    expect(tally.failed).toBe(0);
    expect(tally.ok).toBeGreaterThan(10);
    // Timed-out clients are not the version's failures.
    expect(router.stats("blue")?.errors).toBe(0);
    console.info(
      `trickling: 20 clients cut after ${Math.round(Math.max(...closed.map((c) => c.closedAfterMs)))} ms; good requests ${tally.ok} ok, ${tally.failed} failed`,
    );
  });

  it("answers 408 with a V2 error body when a body stops arriving", async () => {
    const { router } = await setup({ bodyIdleTimeoutMs: 200 });
    router.switchTo("green");
    const r = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        `${router.url}/v2/models/m/infer`,
        { method: "POST", headers: { "content-length": "100" } },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      req.write("{");
    });
    expect(r.status).toBe(408);
    expect(JSON.parse(r.text)).toMatchObject({ code: "body-timeout" });
    expect(router.samples("green", 0).map((s) => [s.status, s.origin])).toEqual([[408, "traffic"]]);
  });

  it("closes connections over the limit as they arrive, and serves again once others go", async () => {
    const { router } = await setup({ maxConnections: 4 });
    router.switchTo("blue");
    const held = await Promise.all(Array.from({ length: 4 }, () => openSocket(router.url)));
    const t0 = performance.now();
    const refused = await fetch(`${router.url}/ok`).then(
      () => "answered",
      () => "closed",
    );
    expect(refused).toBe("closed");
    expect(performance.now() - t0).toBeLessThan(1_000);
    for (const s of held) s.destroy();
    await waitFor(() => router.connections() < 4);
    const res = await fetch(`${router.url}/ok`);
    expect(res.status).toBe(200);
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

/** A POST whose body comes one byte every `everyMs`; when and how the router ended it. */
function trickle(url: string, everyMs: number): Promise<{ status: number | null; closedAfterMs: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest(`${url}/v2/models/m/infer`, {
      method: "POST",
      headers: { "content-length": "100000" },
    });
    const timer = setInterval(() => req.write("x"), everyMs);
    let status: number | null = null;
    req.on("response", (res) => {
      status = res.statusCode ?? null;
      res.resume();
    });
    req.on("error", () => undefined);
    req.on("close", () => {
      clearInterval(timer);
      resolve({ status, closedAfterMs: performance.now() - t0 });
    });
  });
}

function openSocket(url: string): Promise<Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => resolve(s));
    s.on("error", reject);
  });
}

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
