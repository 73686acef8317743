import { describe, expect, it } from "vitest";
import { rolloutOutcomeLabel } from "../../../runners/router/router-metrics.ts";
import { localDeployments, testDeployConfig } from "../../adapters/deploy-local/deploy-fixtures.ts";

const fx = localDeployments("rollouts-total");
// Slots start slowly on a loaded machine: a ready timeout would end a rollout for the wrong reason.
const config = { ...testDeployConfig(), health: { readyTimeoutSeconds: 90, intervalMs: 50 } };

async function rolloutCounts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^modelship_rollouts_total\{outcome="([^"]+)"\} (\S+)$/gm))
    counts[m[1]!] = Number(m[2]);
  return counts;
}

describe("rolloutOutcomeLabel", () => {
  it.each([
    [{ outcome: "succeeded", reason: "promoted" }, "succeeded"],
    [{ outcome: "succeeded", reason: "superseded" }, "succeeded"],
    [{ outcome: "rolled-back", reason: "analysis-error-rate" }, "rolled-back"],
    [{ outcome: "rolled-back", reason: "post-switch-failed" }, "rolled-back"],
    [{ outcome: "failed", reason: "slot-crashed" }, "failed"],
    [{ outcome: "rolled-back", reason: "aborted" }, "aborted"],
    [{ outcome: "failed", reason: "aborted" }, "aborted"],
    [{ outcome: "rolled-back", reason: "superseded" }, "superseded"],
    [{ outcome: null, reason: null }, "failed"],
  ] as const)("labels %j as %s", (record, label) => {
    expect(rolloutOutcomeLabel(record)).toBe(label);
  });
});

describe("modelship_rollouts_total on the router's /metrics", () => {
  it("starts every outcome at 0 and counts each ended rollout once, by how it ended", async () => {
    const first = await fx.start({ config });
    expect(await rolloutCounts(first.d.url)).toEqual({
      succeeded: 0,
      "rolled-back": 0,
      failed: 0,
      aborted: 0,
      superseded: 0,
    });
    // Nothing was live: a version that cannot load fails.
    expect(await first.d.deploy(fx.models.unloadable, { waitForScaleDown: true })).toMatchObject({
      outcome: "failed",
    });
    expect(await first.d.deploy(fx.models.v1, { waitForScaleDown: true })).toMatchObject({
      outcome: "succeeded",
    });
    // Something was live: a version whose inferences fail is rolled back.
    expect(await first.d.deploy(fx.models.failingInference, { waitForScaleDown: true })).toMatchObject({
      outcome: "rolled-back",
    });
    const ab = await first.d.deploy({ ...fx.models.v2, plan: { strategy: "ab", weight: 30 } });
    expect(ab).toMatchObject({ outcome: "holding" });
    expect(await first.d.abort()).toMatchObject({ outcome: "rolled-back", reason: "aborted" });
    expect(await rolloutCounts(first.d.url)).toEqual({
      succeeded: 1,
      "rolled-back": 1,
      failed: 1,
      aborted: 1,
      superseded: 0,
    });
  }, 120_000);
});
