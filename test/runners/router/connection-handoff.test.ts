import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { handOff } from "../../../runners/router/connection-handoff.ts";

/** A child that answers every socket handed to it with one line, and says what it got. */
const CHILD = `process.on("message", (m, socket) => { if (socket) socket.end("child " + m.colour + "\\n"); });`;

describe("handOff", () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  /** A paused accepted socket and the client's view of it. */
  async function accepted(): Promise<{ socket: Socket; client: Socket; text: () => string }> {
    const server: Server = createServer({ pauseOnConnect: true });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanup.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const client = connect(port, "127.0.0.1");
    let text = "";
    client.on("data", (c: Buffer) => (text += c.toString("utf8")));
    client.on("error", () => undefined);
    cleanup.push(() => client.destroy());
    const [socket] = (await once(server, "connection")) as [Socket];
    return { socket, client, text: () => text };
  }

  function child(script: string): ChildProcess {
    const c = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    cleanup.push(() => c.kill("SIGKILL"));
    return c;
  }

  it.each([
    ["a live slot process", CHILD, "child blue\n", false],
    ["a process whose channel closed", "process.disconnect()", "router\n", true],
  ])("to %s", async (_what, script, answer, fellBack) => {
    const c = child(script);
    if (script.includes("disconnect")) await once(c, "disconnect");
    const { socket, client, text } = await accepted();
    client.write("hello");
    let fallback = false;
    handOff(c, socket, { type: "modelship:conn", colour: "blue", version: "1", variant: "stable" }, () => {
      fallback = true;
      // The router keeps the connection, bytes unread: it reads what the client sent.
      socket.once("data", (d: Buffer) => socket.end(d.toString() === "hello" ? "router\n" : "lost\n"));
      socket.resume();
    });
    const end = Date.now() + 10_000;
    while (!text().endsWith("\n") && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(text()).toBe(answer);
    expect(fallback).toBe(fellBack);
  });
});
