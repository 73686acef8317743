import { createServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startRouter } from "../../../runners/router/router.ts";
import type { Router, RouterOptions } from "../../../runners/router/router.ts";

/**
 * A real HTTP server that answers V2 infer requests with one class label (echoing the request's
 * `id`), after `delayMs`, and keeps the routing headers of every request it got.
 */
async function labelSlot(o: { label: string; delayMs?: number; status?: number }) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push(req.headers);
      const id = (JSON.parse(Buffer.concat(chunks).toString() || "{}") as { id?: string }).id;
      const body = JSON.stringify({
        model_name: "iris",
        ...(id ? { id } : {}),
        outputs: [{ name: "label", shape: [1], datatype: "BYTES", data: [o.label] }],
      });
      setTimeout(() => {
        res.writeHead(o.status ?? 200, { "content-type": "application/json" });
        res.end(body);
      }, o.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A seeded generator (mulberry32), so the random half of a split is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function routerWith(stable: string, candidate: string, extra: Partial<RouterOptions> = {}) {
  const router = await startRouter({ port: 0, random: seeded(7), ...extra });
  cleanups.push(() => router.close());
  router.setSlot("blue", { url: stable, version: "1.0.0" });
  router.setSlot("green", { url: candidate, version: "2.0.0" });
  router.switchTo("blue");
  return router;
}

async function infer(router: Router, headers: Record<string, string> = {}, id?: string) {
  const res = await fetch(`${router.url}/v2/models/iris/infer`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      ...(id ? { id } : {}),
      inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }],
    }),
  });
  const body = (await res.json()) as { outputs?: Array<{ data: string[] }> };
  return {
    status: res.status,
    variant: res.headers.get("x-modelship-variant"),
    version: res.headers.get("x-modelship-version"),
    label: body.outputs?.[0]?.data[0],
  };
}

/** `n` requests, `concurrency` at a time. */
async function many<T>(n: number, concurrency: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await one(i);
      }
    }),
  );
  return out;
}

describe("router: weighted split", () => {
  it.each([10, 50])(
    "sends %i percent of unkeyed requests to the candidate, within 4 standard deviations",
    async (weight) => {
      const a = await labelSlot({ label: "a" });
      const b = await labelSlot({ label: "b" });
      const router = await routerWith(a.url, b.url);
      router.setTraffic({ colour: "green", weight, mode: "split" });
      const n = 500;
      const answers = await many(n, 16, () => infer(router));
      const share = answers.filter((x) => x.variant === "candidate").length / answers.length;
      const sd = Math.sqrt(((weight / 100) * (1 - weight / 100)) / n);
      console.info(
        `split ${weight}%: measured ${(share * 100).toFixed(1)}% on the candidate of ${n} (sd ${(sd * 100).toFixed(1)} points)`,
      );
      expect(Math.abs(share - weight / 100)).toBeLessThanOrEqual(4 * sd);
      // Exactly the draws of the same seeded stream that fall under the weight: nothing else decides.
      const stream = seeded(7);
      const expected = Array.from({ length: n }, () => stream()).filter((x) => x * 100 < weight).length;
      expect(answers.filter((x) => x.variant === "candidate").length).toBe(expected);
      expect(answers.every((x) => x.status === 200)).toBe(true);
      // Every answer names its variant and version, and the slot that gave it agrees.
      expect(answers.every((x) => (x.variant === "candidate") === (x.label === "b"))).toBe(true);
      expect(answers.every((x) => x.version === (x.variant === "candidate" ? "2.0.0" : "1.0.0"))).toBe(true);
      expect(router.variantStats("green")?.requests).toBe(answers.filter((x) => x.label === "b").length);
    },
  );

  it("keeps one key on one variant every time, and a key on the candidate stays there as the weight grows", async () => {
    const a = await labelSlot({ label: "a" });
    const b = await labelSlot({ label: "b" });
    const router = await routerWith(a.url, b.url);
    router.setTraffic({ colour: "green", weight: 20, mode: "split" });
    const keys = Array.from({ length: 120 }, (_, i) => `user-${i}`);
    const seen = new Map<string, Set<string>>();
    await many(keys.length * 4, 16, async (i) => {
      const key = keys[i % keys.length]!;
      const r = await infer(router, { "x-modelship-key": key });
      seen.set(key, (seen.get(key) ?? new Set()).add(r.variant ?? ""));
    });
    const flipped = [...seen.values()].filter((v) => v.size > 1).length;
    const onCandidate = [...seen].filter(([, v]) => v.has("candidate")).map(([k]) => k);
    console.info(
      `sticky at 20%: ${keys.length} keys × 4 requests, ${flipped} keys saw both variants, ${onCandidate.length} keys on the candidate`,
    );
    expect(flipped).toBe(0);
    expect(onCandidate.length / keys.length).toBeGreaterThan(0.12);
    expect(onCandidate.length / keys.length).toBeLessThan(0.28);
    router.setTraffic({ colour: "green", weight: 50, mode: "split" });
    for (const key of onCandidate)
      expect((await infer(router, { "x-modelship-key": key })).variant).toBe("candidate");
  });

  it("marks what it forwards with the routing headers, whatever the client sent", async () => {
    const a = await labelSlot({ label: "a" });
    const b = await labelSlot({ label: "b" });
    const router = await routerWith(a.url, b.url);
    router.setTraffic({ colour: "green", weight: 100, mode: "split" });
    await infer(router, { "x-modelship-traffic": "smoke", "x-modelship-variant": "stable" });
    expect(b.seen[0]).toMatchObject({
      "x-modelship-variant": "candidate",
      "x-modelship-version": "2.0.0",
      "x-modelship-traffic": "client",
    });
    router.switchTo("blue");
    expect((await infer(router)).variant).toBe("stable");
    expect(a.seen.at(-1)).toMatchObject({ "x-modelship-variant": "stable", "x-modelship-traffic": "client" });
  });
});

describe("router: shadow", () => {
  it("answers every client from stable while the shadow holds every copy unanswered", async () => {
    const a = await labelSlot({ label: "a" });
    // Answers after the test ends: a client that waited on its copy would never finish.
    const stuck = await labelSlot({ label: "a", delayMs: 30_000 });
    const router = await routerWith(a.url, stuck.url);
    router.setTraffic({ colour: "green", weight: 100, mode: "shadow" });
    const answers = await many(40, 4, () => infer(router));
    expect(answers.every((x) => x.status === 200 && x.variant === "stable" && x.label === "a")).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(stuck.seen.length).toBe(40);
    expect(stuck.seen[0]).toMatchObject({
      "x-modelship-traffic": "shadow",
      "x-modelship-variant": "candidate",
    });
    expect(router.variantStats("green")?.shadow).toMatchObject({ copies: 40, errors: 0, compared: 0 });
  });

  it("counts a failing shadow's errors against it, never against the clients", async () => {
    const a = await labelSlot({ label: "a" });
    const failing = await labelSlot({ label: "a", status: 500 });
    const router = await routerWith(a.url, failing.url);
    router.setTraffic({ colour: "green", weight: 100, mode: "shadow" });
    const answers = await many(20, 4, () => infer(router));
    expect(answers.every((x) => x.status === 200)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(router.variantStats("green")).toMatchObject({ errors: 20, shadow: { copies: 20, errors: 20 } });
    expect(router.variantStats("blue")).toMatchObject({ requests: 20, errors: 0 });
  });

  it("compares the shadow's answers with stable's: agreement rate for classes", async () => {
    const a = await labelSlot({ label: "a" });
    const b = await labelSlot({ label: "b" });
    const router = await routerWith(a.url, b.url);
    router.setTraffic({ colour: "green", weight: 50, mode: "shadow" });
    await many(200, 8, () => infer(router));
    await new Promise((r) => setTimeout(r, 200));
    const shadow = router.variantStats("green")?.shadow;
    console.info(`shadow 50%: ${shadow?.copies} copies of 200 requests`);
    expect(shadow?.copies).toBeGreaterThan(70);
    expect(shadow?.copies).toBeLessThan(130);
    expect(shadow).toMatchObject({ kind: "classification", agreed: 0, agreementRate: 0 });
    expect(shadow?.compared).toBe(shadow?.copies);
  });
});

describe("router: feedback and metrics", () => {
  it("scores ground truth against the variant that answered the request id", async () => {
    const a = await labelSlot({ label: "setosa" });
    const b = await labelSlot({ label: "virginica" });
    const router = await routerWith(a.url, b.url);
    router.setTraffic({ colour: "green", weight: 50, mode: "split" });
    const answers = await many(60, 6, (i) => infer(router, {}, `req-${i}`));
    const post = (body: unknown) =>
      fetch(`${router.url}/v2/models/iris/feedback`, { method: "POST", body: JSON.stringify(body) });
    for (let i = 0; i < 60; i++) expect((await post({ id: `req-${i}`, label: "setosa" })).status).toBe(200);
    const stable = answers.filter((x) => x.variant === "stable").length;
    expect(router.variantStats("blue")?.feedback).toEqual({
      kind: "classification",
      labelled: stable,
      correct: stable,
    });
    expect(router.variantStats("green")?.feedback).toEqual({
      kind: "classification",
      labelled: 60 - stable,
      correct: 0,
    });

    const again = await post({ id: "req-0", label: "setosa" });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: "feedback-unknown-id" });
    const bad = await post({ id: "req-1", label: "a", value: 2 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "feedback-invalid" });
    expect((await fetch(`${router.url}/v2/models/iris/feedback`, { method: "POST", body: "{" })).status).toBe(
      400,
    );
  });

  it("serves its Prometheus metrics on /metrics", async () => {
    const a = await labelSlot({ label: "a" });
    const b = await labelSlot({ label: "b" });
    const router = await routerWith(a.url, b.url);
    router.setTraffic({ colour: "green", weight: 30, mode: "split" });
    router.setPhase("holding");
    await many(20, 4, () => infer(router));
    const text = await (await fetch(`${router.url}/metrics`)).text();
    expect(text).toMatch(
      /modelship_router_requests_total\{variant="stable",version="1.0.0",code="200"\} \d+/,
    );
    expect(text).toMatch(
      /modelship_router_request_duration_seconds_bucket\{le="0.005",variant="(stable|candidate)"\}/,
    );
    expect(text).toContain('modelship_traffic_weight{variant="stable",version="1.0.0"} 70');
    expect(text).toContain('modelship_traffic_weight{variant="candidate",version="2.0.0"} 30');
    expect(text).toContain('modelship_rollout_phase{phase="holding"} 1');
    expect(text).toContain('modelship_rollout_phase{phase="idle"} 0');
    expect(text).toMatch(/modelship_rollout_switches_total 2/);
  });
});
