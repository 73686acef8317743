import { describe, expect, it } from "vitest";
import { GOOD_REQUEST, localDeployments, testDeployConfig } from "./deploy-fixtures.ts";

const fx = localDeployments("traffic");
// Slots start slowly on a loaded machine: a ready timeout would end a rollout for the wrong reason.
const config = { ...testDeployConfig(), health: { readyTimeoutSeconds: 90, intervalMs: 50 } };
const started = async () => {
  const { d } = await fx.start({ config });
  expect(await d.deploy(fx.models.v1)).toMatchObject({ outcome: "succeeded" });
  return d;
};
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Clients sending good requests back to back (every answer but a 200 is a failure), counting
 * which variant and version answered since the last `mark()`. Client `i` sends the key `k<i>`
 * when `keyed`, to show that one key stays on one variant.
 */
function variantLoad(url: string, clients: number, keyed = false) {
  const failures: string[] = [];
  let ok = 0;
  let stop = false;
  let counts = new Map<string, number>();
  const byKey = new Map<string, Set<string>>();
  const client = async (i: number) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (keyed) headers["x-modelship-key"] = `k${i}`;
    while (!stop) {
      try {
        const res = await fetch(`${url}/v2/models/iris/infer`, {
          method: "POST",
          headers,
          body: GOOD_REQUEST,
        });
        const body = await res.text();
        if (res.status !== 200) failures.push(`HTTP ${res.status} ${body.slice(0, 80)}`);
        else ok++;
        const who = `${res.headers.get("x-modelship-variant")}@${res.headers.get("x-modelship-version")}`;
        counts.set(who, (counts.get(who) ?? 0) + 1);
        if (keyed) byKey.set(`k${i}`, (byKey.get(`k${i}`) ?? new Set()).add(who));
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const running = Array.from({ length: clients }, (_, i) => client(i));
  return {
    mark() {
      const c = counts;
      counts = new Map();
      byKey.clear();
      return c;
    },
    byKey,
    async stop() {
      stop = true;
      await Promise.all(running);
      return { ok, failures };
    },
  };
}

const share = (counts: Map<string, number>, key: string) => {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return { share: (counts.get(key) ?? 0) / Math.max(1, total), total };
};

describe("traffic strategies on the local target, under load", () => {
  // Four slot starts: on a loaded two-core machine each takes seconds.
  it(
    "moves through canary, A/B (abort) and shadow (promote) without a failed request",
    { timeout: 240_000 },
    async () => {
      const d = await started();
      const load = variantLoad(d.url, 4);
      await settle(200);

      // Canary: 25%, then 60%, each judged for 0.4 s, then all traffic and the post-switch check.
      const canary = await d.deploy(
        { ...fx.models.v2, plan: { strategy: "canary", steps: [25, 60, 100], pauseMs: 400 } },
        { waitForScaleDown: true },
      );
      expect(canary, canary.message).toMatchObject({
        outcome: "succeeded",
        version: "2.0.0",
        strategy: "canary",
      });
      const path = canary.timeline.filter((e) => e.accepted).map((e) => e.to);
      expect(path.filter((p) => p === "stepping")).toHaveLength(2);
      expect(path).toEqual(
        expect.arrayContaining(["shifting", "stepping", "switching", "post-switch-check", "complete"]),
      );
      const afterCanary = load.mark();
      expect(afterCanary.get("candidate@2.0.0") ?? 0).toBeGreaterThan(0);

      // A/B at 30%: holds until a person decides; the split is measured on real answers.
      const ab = await d.deploy({ ...fx.models.v3, plan: { strategy: "ab", weight: 30 } });
      expect(ab, ab.message).toMatchObject({ outcome: "holding", version: "3.0.0", phase: "holding" });
      load.mark();
      await settle(1_500);
      const measured = load.mark();
      const split = share(measured, "candidate@3.0.0");
      const status = await d.status();
      expect(status.rollout).toMatchObject({ strategy: "ab", phase: "holding", weight: 30 });
      expect(status.traffic).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ version: "2.0.0", variant: "stable", weight: 70 }),
          expect.objectContaining({ version: "3.0.0", variant: "candidate", weight: 30 }),
        ]),
      );
      const candidate = status.traffic.find((t) => t.variant === "candidate");
      expect(candidate?.requests).toBeGreaterThan(0);
      expect(candidate?.p95Ms).not.toBeNull();
      expect(candidate?.errorRate).toBe(0);

      const aborted = await d.abort();
      expect(aborted).toMatchObject({ outcome: "rolled-back", reason: "aborted", version: "3.0.0" });
      expect((await d.status()).active?.version).toBe("2.0.0");

      // Shadow: clients only ever get stable answers; the copies agree (same weights), then promote.
      const shadow = await d.deploy({ ...fx.models.v3, plan: { strategy: "shadow", percent: 100 } });
      expect(shadow).toMatchObject({ outcome: "holding", strategy: "shadow" });
      load.mark();
      await settle(800);
      const duringShadow = load.mark();
      expect([...duringShadow.keys()]).toEqual(["stable@2.0.0"]);
      const copies = (await d.status()).traffic.find((t) => t.version === "3.0.0")?.shadow;
      expect(copies?.copies).toBeGreaterThan(0);
      expect(copies).toMatchObject({ kind: "classification", agreementRate: 1, errors: 0 });
      const promoted = await d.promote({ waitForScaleDown: true });
      expect(promoted).toMatchObject({ outcome: "succeeded", version: "3.0.0" });

      await settle(200);
      const t = await load.stop();
      console.info(
        `strategy changes (canary 25/60/100, A/B 30% + abort, shadow + promote): ${t.ok} ok, ${t.failures.length} failed; A/B measured ${(split.share * 100).toFixed(1)}% on the candidate of ${split.total}`,
        t.failures.slice(0, 5),
      );
      expect(t.failures).toEqual([]);
      expect(split.total).toBeGreaterThan(100);
      expect(Math.abs(split.share - 0.3)).toBeLessThanOrEqual(4 * Math.sqrt((0.3 * 0.7) / split.total));
    },
  );

  it(
    "keeps each request key on one variant through an A/B split, and refuses promote and abort without a split",
    { timeout: 60_000 },
    async () => {
      const d = await started();
      await expect(d.promote()).rejects.toMatchObject({ code: "nothing-to-promote" });
      await expect(d.abort()).rejects.toThrow(/nothing to abort/);
      const load = variantLoad(d.url, 12, true);
      const ab = await d.deploy({ ...fx.models.v2, plan: { strategy: "ab", weight: 50 } });
      expect(ab.outcome, ab.message).toBe("holding");
      load.mark();
      await settle(1_200);
      // A copy: after the promote every key moves to the new version, as it should.
      const keys = new Map([...load.byKey].map(([k, v]) => [k, new Set(v)]));
      const promoted = await d.promote({ waitForScaleDown: true });
      const t = await load.stop();
      const flipped = [...keys.values()].filter((v) => v.size > 1).length;
      const onCandidate = [...keys.values()].filter((v) => v.has("candidate@2.0.0")).length;
      console.info(
        `sticky A/B 50%: ${keys.size} keys, ${flipped} saw both variants, ${onCandidate} on the candidate; ${t.failures.length} failed`,
      );
      expect(keys.size).toBe(12);
      expect(flipped).toBe(0);
      expect(onCandidate).toBeGreaterThan(0);
      expect(onCandidate).toBeLessThan(12);
      expect(promoted).toMatchObject({ outcome: "succeeded", version: "2.0.0" });
      expect(t.failures).toEqual([]);
    },
  );
});
