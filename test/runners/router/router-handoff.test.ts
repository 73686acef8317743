import { request as httpRequest, Agent } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRouter, type Router } from "../../../runners/router/router.ts";
import { spawnSlot, type SlotProcess } from "../../../runners/router/spawn-slot.ts";
import { GOOD_REQUEST, localDeployments } from "../../adapters/deploy-local/deploy-fixtures.ts";
import { testDeployConfig } from "../../adapters/deploy-local/deploy-fixtures.ts";

const fx = localDeployments("handoff");

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** One request on a keep-alive agent (so it rides a connection the router may have handed off). */
function send(agent: Agent, url: string, path: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest(
      { host: u.hostname, port: u.port, path, method: body === undefined ? "GET" : "POST", agent, headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("router hand-off: one live slot", () => {
  let router: Router;
  let slot: SlotProcess;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const INFER = "/v2/models/iris/infer";

  beforeAll(async () => {
    router = await startRouter({ port: 0, handoff: true });
    slot = await spawnSlot({
      colour: "blue",
      target: { modelDir: fx.models.v1.modelDir, name: "iris", version: fx.models.v1.version },
      startTimeoutMs: 30_000,
    });
    router.setSlot("blue", { url: slot.url, version: fx.models.v1.version, channel: slot.channel! });
    router.switchTo("blue");
    // The slot says it adopts connections once its model is loaded.
    for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 50)))
      ready = (await send(new Agent(), slot.url, "/v2/health/ready")).status === 200;
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await router.close();
    await slot.stop(5_000);
  });

  it("serves handed connections with the router's headers, counts and endpoints", async () => {
    // A connection accepted before the slot was ready is proxied; its answer closes it.
    for (let i = 0; i < 3; i++) await send(agent, router.url, INFER, GOOD_REQUEST);
    const before = router.stats("blue")!.requests;
    const answers: Answer[] = [];
    for (let i = 0; i < 20; i++)
      answers.push(
        await send(agent, router.url, INFER, GOOD_REQUEST, {
          "x-modelship-traffic": "shadow",
          "x-modelship-variant": "candidate",
          "x-modelship-smoke": "forged",
        }),
      );
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.headers["x-modelship-slot"]).toBe("blue");
      expect(a.headers["x-modelship-version"]).toBe(fx.models.v1.version);
      expect(a.headers["x-modelship-variant"]).toBe("stable");
    }
    // Handed connections are not the router's: none of them is open in it.
    expect(router.connections()).toBe(0);
    await until(() => router.stats("blue")!.requests >= before + 20, "counts from the slot");
    // The router's /metrics, asked on a handed connection, is the router's (with those counts).
    const metrics = await send(agent, router.url, "/metrics");
    expect(metrics.body).toContain("modelship_router_requests_total");
    expect(metrics.body).toMatch(
      /modelship_router_requests_total\{variant="stable",version="[^"]+",code="200"\} \d+/,
    );
    // The client's routing headers were dropped: the slot counted client traffic only.
    const slotMetrics = await send(new Agent(), slot.url, "/metrics");
    expect(slotMetrics.body).not.toMatch(/traffic="shadow"/);
    // Feedback is answered by the router (steady-state answers are not remembered: unknown id).
    const fb = await send(agent, router.url, "/v2/models/iris/feedback", '{"id":"x","label":"setosa"}');
    expect(fb.status).toBe(404);
    expect(JSON.parse(fb.body)).toMatchObject({ code: "feedback-unknown-id" });
  });

  it.each([
    ["a body over 8 MiB", { "content-length": String(9 * 1024 * 1024) }, 413, "body-too-large"],
    ["a body that pauses over 5 s", { "content-length": "100" }, 408, "body-timeout"],
  ])(
    "applies the public port's limits on handed connections: %s",
    async (_what, headers, status, code) => {
      const u = new URL(router.url);
      const socket = connect(Number(u.port), u.hostname);
      let text = "";
      socket.on("data", (c: Buffer) => (text += c.toString("utf8")));
      const head = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      socket.write(`POST ${INFER} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${head}\r\n{"in`);
      await until(() => text.includes(code), `a ${status} answer`);
      socket.destroy();
      expect(text.split("\r\n")[0]).toContain(String(status));
      expect(text).toContain(code);
    },
    20_000,
  );
});

describe("router hand-off through a deploy and a rollback", () => {
  it("keeps keep-alive clients answered, each by the version live when it was sent", async () => {
    const { d } = await fx.start({ config: { ...testDeployConfig(), handoff: true } });
    await d.deploy(fx.models.v1, { waitForScaleDown: true });
    const failures: string[] = [];
    const wrong: string[] = [];
    // The version each request sent from now on must come from (null: either, a move is under way).
    let expected: string | null = fx.models.v1.version;
    let stop = false;
    let answered = 0;
    const client = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      while (!stop) {
        const want = expected;
        try {
          const a = await send(agent, d.url, "/v2/models/iris/infer", GOOD_REQUEST);
          answered++;
          if (a.status !== 200) failures.push(`HTTP ${a.status} ${a.body.slice(0, 80)}`);
          const got = a.headers["x-modelship-version"];
          if (want !== null && got !== want) wrong.push(`${String(got)} instead of ${want}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
      agent.destroy();
    };
    const clients = Array.from({ length: 6 }, client);
    await until(() => answered > 50, "traffic in the steady state");
    expected = null;
    await d.deploy(fx.models.v2);
    expected = fx.models.v2.version;
    await new Promise((r) => setTimeout(r, 1_500));
    expected = null;
    await d.rollback();
    expected = fx.models.v1.version;
    await new Promise((r) => setTimeout(r, 1_500));
    const after = answered;
    await until(() => answered > after + 50, "traffic after the rollback");
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(wrong).toEqual([]);
  }, 120_000);
});

describe("router hand-off when the live slot dies", () => {
  it("proxies while the colour has no process, then hands connections to the new one", async () => {
    const router = await startRouter({ port: 0, handoff: true });
    const target = { modelDir: fx.models.v1.modelDir, name: "iris", version: fx.models.v1.version };
    const start = async () => {
      const slot = await spawnSlot({ colour: "blue", target, startTimeoutMs: 30_000 });
      router.setSlot("blue", { url: slot.url, version: target.version, channel: slot.channel! });
      for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 50)))
        ready = (await send(new Agent(), slot.url, "/v2/health/ready")).status === 200;
      // The slot's ready message follows its model load.
      await new Promise((r) => setTimeout(r, 100));
      return slot;
    };
    const first = await start();
    router.switchTo("blue");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await send(agent, router.url, "/v2/models/iris/infer", GOOD_REQUEST);
      expect((await send(agent, router.url, "/v2/models/iris/infer", GOOD_REQUEST)).status).toBe(200);
      expect(router.connections()).toBe(0);
      process.kill(first.pid!, "SIGKILL");
      await first.exited;
      // The idle handed connection died with the process; a new one is proxied, and finds no slot.
      const dead = await send(agent, router.url, "/v2/models/iris/infer", GOOD_REQUEST);
      expect(dead.status).toBe(503);
      const second = await start();
      try {
        // The proxied connection is answered with Connection: close, so the next one is handed over.
        expect((await send(agent, router.url, "/v2/models/iris/infer", GOOD_REQUEST)).status).toBe(200);
        expect((await send(agent, router.url, "/v2/models/iris/infer", GOOD_REQUEST)).status).toBe(200);
        expect(router.connections()).toBe(0);
      } finally {
        await second.stop(5_000);
      }
    } finally {
      agent.destroy();
      await router.close();
    }
  }, 90_000);
});
