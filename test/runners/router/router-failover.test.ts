import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SMOKE_HEADER, startRouter } from "../../../runners/router/router.ts";
import type { Router } from "../../../runners/router/router.ts";

/**
 * A real slot: `answers` replies 200 naming itself; otherwise it drops every connection
 * unanswered (after `dropAfterMs`), as a killed process does.
 */
async function slot(
  name: string,
  answers: boolean,
  dropAfterMs = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (!answers) return void setTimeout(() => req.socket.destroy(), dropAfterMs);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ slot: name }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Old version warm on blue, traffic switched to a green that drops every connection. */
async function switchedToDeadGreen(): Promise<Router> {
  const blue = await slot("blue", true);
  const green = await slot("green", false);
  const router = await startRouter({ port: 0, smokeToken: "t0ken" });
  cleanups.push(blue.close, green.close, () => router.close());
  router.setSlot("blue", { url: blue.url, version: "1.0.0" });
  router.setSlot("green", { url: green.url, version: "2.0.0" });
  router.switchTo("blue");
  router.switchTo("green");
  return router;
}

const INFER = "/v2/models/iris/infer";
const BODY = JSON.stringify({
  inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }],
});

describe("router failover to the warm colour", () => {
  it.each([
    { what: "an inference request", method: "POST", path: INFER, body: BODY },
    {
      what: "an inference request on a version path",
      method: "POST",
      path: "/v2/models/iris/versions/1/infer",
      body: BODY,
    },
    { what: "a read", method: "GET", path: "/v2/models/iris", body: undefined },
  ])("answers $what from the warm colour and counts the failure against the live one", async (c) => {
    const router = await switchedToDeadGreen();
    const res = await fetch(`${router.url}${c.path}`, { method: c.method, body: c.body ?? null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ slot: "blue" });
    expect(res.headers.get("x-modelship-version")).toBe("1.0.0");
    const failed = router.samples("green", 0);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ status: null, code: "slot-unreachable", origin: "traffic" });
    expect(router.stats("green")).toMatchObject({ requests: 1, errors: 1, failedOver: 1, inflight: 0 });
    expect(router.stats("blue")).toMatchObject({ requests: 1, errors: 0, inflight: 0 });
  });

  it.each([
    { what: "a POST that is not inference", path: "/v2/repository/index", headers: {}, body: BODY },
    {
      what: "the deployment's own smoke request",
      path: INFER,
      headers: { [SMOKE_HEADER]: "t0ken" },
      body: BODY,
    },
    { what: "a body larger than the resend buffer", path: INFER, headers: {}, body: "x".repeat(300 * 1024) },
  ])("does not resend $what", async (c) => {
    const router = await switchedToDeadGreen();
    const res = await fetch(`${router.url}${c.path}`, { method: "POST", headers: c.headers, body: c.body });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-modelship-error-code")).toBe("slot-unreachable");
    expect(router.stats("blue")).toMatchObject({ requests: 0 });
    expect(router.stats("green")).toMatchObject({ requests: 1, errors: 1, failedOver: 0 });
  });

  it("answers a request held by a slot that dies after traffic already switched back", async () => {
    const blue = await slot("blue", true);
    const green = await slot("green", false, 300);
    const router = await startRouter({ port: 0 });
    cleanups.push(blue.close, green.close, () => router.close());
    router.setSlot("blue", { url: blue.url, version: "1.0.0" });
    router.setSlot("green", { url: green.url, version: "2.0.0" });
    router.switchTo("blue");
    router.switchTo("green");
    const answer = fetch(`${router.url}${INFER}`, { method: "POST", body: BODY });
    await new Promise((r) => setTimeout(r, 100));
    // The rollout switched back while green still held the request.
    router.switchTo("blue");
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ slot: "blue" });
    expect(router.stats("green")).toMatchObject({ errors: 1, failedOver: 1 });
  });

  it("has no colour to fail over to once the old one is gone", async () => {
    const router = await switchedToDeadGreen();
    router.setSlot("blue", null);
    const res = await fetch(`${router.url}${INFER}`, { method: "POST", body: BODY });
    expect(res.status).toBe(503);
  });

  it("never fails over to a colour that was not live before the switch", async () => {
    const blue = await slot("blue", true);
    const green = await slot("green", false);
    const router = await startRouter({ port: 0 });
    cleanups.push(blue.close, green.close, () => router.close());
    // A candidate warming up on blue before its switch: the live green's drops are not its to answer.
    router.setSlot("green", { url: green.url, version: "1.0.0" });
    router.switchTo("green");
    router.setSlot("blue", { url: blue.url, version: "2.0.0" });
    const res = await fetch(`${router.url}${INFER}`, { method: "POST", body: BODY });
    expect(res.status).toBe(503);
    expect(router.stats("blue")).toMatchObject({ requests: 0 });
  });
});
