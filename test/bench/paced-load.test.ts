import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { pacedLoad } from "../../bench/load-helpers.ts";

/** A server that notes when each request arrived and on which connection; `stallAt` blocks it once. */
async function recordingServer(stallAt?: { request: number; ms: number }) {
  const arrivals: number[] = [];
  const sockets = new Set<unknown>();
  const server = createServer((req, res) => {
    arrivals.push(performance.now());
    sockets.add(req.socket);
    if (stallAt !== undefined && arrivals.length === stallAt.request) {
      const until = performance.now() + stallAt.ms;
      while (performance.now() < until);
    }
    req.resume();
    req.on("end", () => res.end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { server, url, arrivals, sockets };
}

/** The most arrivals in any window of `ms`. */
function busiestWindow(arrivals: readonly number[], ms: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < arrivals.length; i++) {
    while (arrivals[i]! - arrivals[j]! > ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe("pacedLoad: a steady, open-loop rate", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it("spreads the requests over the whole run instead of sending them in a burst", async () => {
    const s = await recordingServer();
    server = s.server;
    const load = await pacedLoad(s.url, "{}", { rate: 200, duration: 1 });
    expect(load.requests).toBe(200);
    expect(load.errors + load.non2xx).toBe(0);
    // 200 req/s over 1 s: about 20 arrive in any 100 ms; a burst would bring all 200 at once.
    expect(s.arrivals.at(-1)! - s.arrivals[0]!).toBeGreaterThan(800);
    expect(busiestWindow(s.arrivals, 100)).toBeLessThan(60);
  });

  it("keeps sending while the server stalls, and counts the stall in every request it held", async () => {
    const s = await recordingServer({ request: 20, ms: 200 });
    server = s.server;
    const load = await pacedLoad(s.url, "{}", { rate: 200, duration: 1 });
    expect(load.requests).toBe(200);
    expect(load.errors + load.non2xx).toBe(0);
    // The requests due during the 200 ms stall went out on new connections (open loop) and waited:
    // a closed loop would have held them back and shown the stall in one request only.
    expect(s.sockets.size).toBeGreaterThan(1);
    const held = Array.from(load.latencies).filter((ms) => ms >= 50).length;
    expect(held).toBeGreaterThanOrEqual(10);
  });
});
