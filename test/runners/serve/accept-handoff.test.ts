import { EventEmitter, once } from "node:events";
import { createServer as createHttpServer, type ServerResponse } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { acceptHandoff, type RouterChannel } from "../../../runners/serve/accept-handoff.ts";

/** The slot's end of the router's channel, in this process: records what the slot sends. */
class Channel extends EventEmitter implements RouterChannel {
  connected = true;
  sent: unknown[] = [];
  send(message: unknown): boolean {
    this.sent.push(message);
    return true;
  }
}

const LABELS = { type: "modelship:conn", colour: "blue", version: "v7", variant: "stable" } as const;

describe("acceptHandoff answer headers and counts", () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  /** One request on a handed connection, answered by `answer`; the raw response comes back. */
  async function serveOne(answer: (res: ServerResponse) => void): Promise<{ raw: string; sent: unknown[] }> {
    const target = createHttpServer((_req, res) => answer(res));
    const channel = new Channel();
    const handoff = acceptHandoff({ target, channel });
    const server: Server = createServer({ pauseOnConnect: true });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanup.push(() => server.close());
    const client = connect((server.address() as { port: number }).port, "127.0.0.1");
    cleanup.push(() => client.destroy());
    const [socket] = (await once(server, "connection")) as [Socket];
    cleanup.push(() => socket.destroy());
    channel.emit("message", LABELS, socket);
    socket.resume();
    let raw = "";
    client.on("data", (c: Buffer) => (raw += c.toString("utf8")));
    client.write("GET /x HTTP/1.1\r\nhost: a\r\nx-modelship-smoke: 1\r\n\r\n");
    const end = Date.now() + 10_000;
    while (!raw.includes("done") && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20));
    handoff.release();
    return { raw, sent: channel.sent };
  }

  it.each<[string, (res: ServerResponse) => void, string]>([
    ["headers as an object", (res) => res.writeHead(201, { "x-own": "1" }).end("done"), "blue"],
    [
      "a reason phrase and headers",
      (res) => res.writeHead(201, "Made", { "x-own": "1" }).end("done"),
      "blue",
    ],
    ["raw header pairs", (res) => res.writeHead(201, ["x-own", "1"]).end("done"), "blue"],
    [
      "no writeHead call",
      (res) => void ((res.statusCode = 201), res.setHeader("x-own", "1"), res.end("done")),
      "blue",
    ],
    [
      "the handler's own slot header",
      (res) => res.writeHead(201, { "x-modelship-slot": "mine", "x-own": "1" }).end("done"),
      "mine",
    ],
  ])("labels an answer written with %s, and counts it", async (_what, answer, slot) => {
    const { raw, sent } = await serveOne(answer);
    const head = raw.toLowerCase();
    expect(head.split("\r\n")[0]).toContain("201");
    expect(head).toContain(`x-modelship-slot: ${slot}\r\n`);
    expect(head.match(/x-modelship-slot:/g)).toHaveLength(1);
    expect(head).toContain("x-modelship-version: v7\r\n");
    expect(head).toContain("x-modelship-variant: stable\r\n");
    expect(head).toContain("x-own: 1\r\n");
    const served = sent.find((m) => (m as { type: string }).type === "modelship:served") as {
      done: number[];
    };
    expect(served.done).toHaveLength(2);
    expect(served.done[0]).toBe(201);
    expect(served.done[1]).toBeGreaterThanOrEqual(0);
  });
});

describe("acceptHandoff release", () => {
  it.each<[string, (res: ServerResponse) => void]>([
    ["headers as an object", (res) => res.writeHead(200, { "x-own": "1" }).end("done")],
    ["raw header pairs", (res) => res.writeHead(200, ["x-own", "1"]).end("done")],
    ["no writeHead call", (res) => res.end("done")],
  ])(
    "answers a request in flight at release, written with %s, with Connection: close; drain waits for it",
    async (_what, answer) => {
      let pending: ServerResponse | null = null;
      const target = createHttpServer((_req, res) => void (pending = res));
      const channel = new Channel();
      const handoff = acceptHandoff({ target, channel });
      const server: Server = createServer({ pauseOnConnect: true });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const client = connect((server.address() as { port: number }).port, "127.0.0.1");
      try {
        const [socket] = (await once(server, "connection")) as [Socket];
        channel.emit("message", LABELS, socket);
        socket.resume();
        let raw = "";
        client.on("data", (c: Buffer) => (raw += c.toString("utf8")));
        const closed = once(client, "close");
        client.write("POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\n{}");
        while (pending === null) await new Promise((r) => setTimeout(r, 5));
        let drained = false;
        const draining = handoff.drain(5_000).then(() => (drained = true));
        await new Promise((r) => setTimeout(r, 50));
        expect(drained).toBe(false);
        answer(pending);
        await draining;
        await closed;
        const head = raw.toLowerCase();
        expect(head).toContain("connection: close\r\n");
        expect(head).toContain("x-modelship-slot: blue\r\n");
        expect(raw).toContain("done");
        expect(handoff.connections()).toBe(0);
      } finally {
        client.destroy();
        server.close();
      }
    },
  );
});
