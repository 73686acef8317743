import { describe, expect, it } from "vitest";
import { createRolloutRecord } from "../../../core/rollout/apply-event.ts";
import { createRollout } from "../../../core/rollout/create-rollout.ts";
import { driveRollout } from "../../../core/rollout/drive-rollout.ts";
import type { RolloutClock, TargetEffect } from "../../../core/rollout/drive-rollout.ts";
import type { RolloutEvent, RolloutSettings, TrafficPlan } from "../../../core/rollout/rollout-types.ts";

const SETTINGS: RolloutSettings = {
  readyTimeoutMs: 1_000,
  readyIntervalMs: 10,
  smokeRequests: 0,
  maxErrorRate: 0,
  maxLatencyP95Ms: 100,
  minAgreement: 0,
  agreementTolerance: 0,
  postSwitchMs: 0,
  scaleDownDelayMs: 60_000,
};

/** A clock whose timers fire only when the test says so. */
function fakeClock() {
  const timers: Array<() => void> = [];
  const clock: RolloutClock = {
    now: () => new Date("2026-01-01T12:00:00Z"),
    sleep: (_ms, signal) =>
      new Promise((resolve) => {
        timers.push(resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      }),
  };
  return { clock, fire: () => timers.splice(0).forEach((t) => t()) };
}

/** Effects as a well-behaved target answers them, with one answer replaced where a case says so. */
function effects(override: Partial<Record<TargetEffect["type"], RolloutEvent | null>> = {}) {
  const ran: string[] = [];
  return {
    ran,
    run: async (e: TargetEffect): Promise<RolloutEvent | null> => {
      if (e.type === "record-status") return null;
      ran.push(`${e.type} ${e.colour}`);
      if (e.type in override) return override[e.type] ?? null;
      if (e.type === "start-slot") return { type: "slot-started", colour: e.colour, url: "u" };
      if (e.type === "probe-ready") return { type: "slot-ready", colour: e.colour };
      if (e.type === "switch-traffic") return { type: "switched", colour: e.colour };
      if (e.type === "stop-slot") return { type: "slot-stopped", colour: e.colour };
      return null;
    },
  };
}

function start(
  fx: ReturnType<typeof effects>,
  clock: RolloutClock,
  signal?: AbortSignal,
  plan?: TrafficPlan,
) {
  const state = createRollout({
    id: "r1",
    kind: "deploy",
    target: { version: "2.0.0", modelDir: "/m", name: "iris" },
    active: { colour: "blue", version: "1.0.0" },
    settings: SETTINGS,
    ...(plan ? { plan } : {}),
  });
  return driveRollout({
    state,
    record: createRolloutRecord(state, clock.now()),
    effects: fx,
    clock,
    ...(signal ? { signal } : {}),
  });
}

describe("driveRollout", () => {
  it("promotes, holds the old colour warm until the clock says the delay is over, then stops it", async () => {
    const { clock, fire } = fakeClock();
    const fx = effects();
    const d = start(fx, clock);
    await new Promise((r) => setTimeout(r, 10));
    expect(d.state().phase).toBe("draining");
    expect(fx.ran).not.toContain("stop-slot blue");
    fire();
    const end = await d.finished;
    expect(end.record).toMatchObject({ phase: "complete", outcome: "succeeded", reason: "promoted" });
    expect(fx.ran).toEqual([
      "start-slot green",
      "probe-ready green",
      "switch-traffic green",
      "stop-slot blue",
    ]);
    expect(end.record.finishedAt).toBe("2026-01-01T12:00:00.000Z");
  });

  it.each([
    ["an event for the wrong colour", { "probe-ready": { type: "slot-ready", colour: "blue" } }],
    ["no answer at all", { "probe-ready": null }],
  ] as const)("records %s as rejected, then rolls back instead of hanging", async (_name, override) => {
    const { clock } = fakeClock();
    const fx = effects(override);
    const end = await start(fx, clock).finished;
    expect(end.record).toMatchObject({ phase: "rolled-back", outcome: "rolled-back", reason: "aborted" });
    expect(end.record.message).toMatch(/stalled while waiting-ready/);
    expect(fx.ran.at(-1)).toBe("stop-slot green");
  });

  it("rolls back before the switch when the caller's signal aborts, and ignores the late answer", async () => {
    const { clock } = fakeClock();
    const controller = new AbortController();
    let answer: (e: RolloutEvent) => void = () => {};
    const fx = effects();
    const run = fx.run;
    fx.run = (e) => (e.type === "probe-ready" ? new Promise((r) => (answer = r)) : run(e));
    const d = start(fx, clock, controller.signal);
    await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    answer({ type: "slot-ready", colour: "green" });
    const end = await d.finished;
    expect(end.record).toMatchObject({
      outcome: "rolled-back",
      reason: "aborted",
      message: "the deploy was cancelled",
    });
    expect(fx.ran).not.toContain("switch-traffic green");
  });

  it("waits in an A/B split for a person without calling it a stall, then promotes on request", async () => {
    const { clock, fire } = fakeClock();
    const fx = effects({ "set-traffic": { type: "traffic-set", weight: 20 } });
    const d = start(fx, clock, undefined, { strategy: "ab", weight: 20 });
    await new Promise((r) => setTimeout(r, 30));
    expect(d.state()).toMatchObject({ phase: "holding", outcome: null, weight: 20 });
    d.send({ type: "promote", full: true });
    await new Promise((r) => setTimeout(r, 10));
    fire();
    const end = await d.finished;
    expect(end.record).toMatchObject({ phase: "complete", outcome: "succeeded", strategy: "ab" });
    expect(fx.ran).toEqual([
      "start-slot green",
      "probe-ready green",
      "set-traffic green",
      // No smoke requests and no post-switch time: the split's first check has nothing to judge.
      "switch-traffic green",
      "stop-slot blue",
    ]);
  });
});
