import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { pacedLoad } from "../../bench/load-helpers.ts";

/**
 * A server in its own process (a stall must not stop the load generator too) that notes when each
 * POST arrived and on which connection, and answers GET with what it noted. The POST numbered
 * STALL_AT blocks the whole process for STALL_MS.
 */
const SERVER = `
const { createServer } = require("node:http");
const stallAt = Number(process.env.STALL_AT ?? 0), stallMs = Number(process.env.STALL_MS ?? 0);
const arrivals = [], sockets = new Set();
const server = createServer((req, res) => {
  if (req.method === "GET") return res.end(JSON.stringify({ arrivals, sockets: sockets.size }));
  arrivals.push(performance.now());
  sockets.add(req.socket);
  if (arrivals.length === stallAt) { const until = performance.now() + stallMs; while (performance.now() < until); }
  req.resume();
  req.on("end", () => res.end("{}"));
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child?.exitCode === null) {
    child.kill();
    await once(child, "exit");
  }
  child = undefined;
});

async function recordingServer(stall?: { at: number; ms: number }) {
  child = spawn(process.execPath, ["-e", SERVER], {
    env: { ...process.env, STALL_AT: String(stall?.at ?? 0), STALL_MS: String(stall?.ms ?? 0) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [port] = (await once(child.stdout!, "data")) as [Buffer];
  const url = `http://127.0.0.1:${String(port).trim()}/`;
  const noted = async () => (await (await fetch(url)).json()) as { arrivals: number[]; sockets: number };
  return { url, noted };
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
  it("spreads the requests over the whole run instead of sending them in a burst", async () => {
    const s = await recordingServer();
    const load = await pacedLoad(s.url, "{}", { rate: 200, duration: 1 });
    expect(load.requests).toBe(200);
    expect(load.errors + load.non2xx).toBe(0);
    const { arrivals } = await s.noted();
    // 200 req/s over 1 s: about 20 arrive in any 100 ms; a burst would bring all 200 at once.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(800);
    expect(busiestWindow(arrivals, 100)).toBeLessThan(100);
  });

  it("keeps sending while the server stalls, and counts the stall in every request it held", async () => {
    const s = await recordingServer({ at: 20, ms: 300 });
    const load = await pacedLoad(s.url, "{}", { rate: 200, duration: 1 });
    expect(load.requests).toBe(200);
    expect(load.errors + load.non2xx).toBe(0);
    // The requests due during the 300 ms stall (about 60) went out on new connections (open loop)
    // and waited: a closed loop would have held them back and shown the stall in one request only.
    expect((await s.noted()).sockets).toBeGreaterThan(1);
    const held = Array.from(load.latencies).filter((ms) => ms >= 100).length;
    expect(held).toBeGreaterThanOrEqual(10);
  });
});
