import { describe, expect, it } from "vitest";
import { createRollout } from "../../../core/rollout/create-rollout.ts";
import { judgeAnalysis } from "../../../core/rollout/judge-analysis.ts";
import { PHASES, SPLIT_PHASES } from "../../../core/rollout/rollout-types.ts";
import type {
  ActiveSlot,
  Colour,
  Phase,
  RolloutEvent,
  RolloutSettings,
  RolloutState,
  TrafficPlan,
} from "../../../core/rollout/rollout-types.ts";
import { transition } from "../../../core/rollout/transition.ts";

const SETTINGS: RolloutSettings = {
  readyTimeoutMs: 5_000,
  readyIntervalMs: 100,
  smokeRequests: 10,
  maxErrorRate: 0,
  maxLatencyP95Ms: 100,
  minAgreement: 0.8,
  agreementTolerance: 0.1,
  postSwitchMs: 1_000,
  scaleDownDelayMs: 3_000,
};

const TARGET = { version: "1.1.0", modelDir: "/runs/b/model", name: "iris" };

function at(
  phase: Phase,
  opts: {
    active?: ActiveSlot | null;
    settings?: Partial<RolloutSettings>;
    plan?: TrafficPlan;
    step?: number;
  } = {},
): RolloutState {
  const active = opts.active === undefined ? { colour: "blue" as const, version: "1.0.0" } : opts.active;
  const base = createRollout({
    id: "r1",
    kind: "deploy",
    target: TARGET,
    active,
    settings: { ...SETTINGS, ...opts.settings },
    ...(opts.plan ? { plan: opts.plan } : {}),
  });
  const step = opts.step ?? (SPLIT_PHASES.includes(phase) ? 0 : -1);
  return { ...base, phase, step, weight: step < 0 ? 0 : weightAt(base.plan, step) };
}

function weightAt(plan: TrafficPlan, step: number): number {
  if (plan.strategy === "canary") return plan.steps[step] ?? 100;
  if (plan.strategy === "ab") return plan.weight;
  return plan.strategy === "shadow" ? plan.percent : 100;
}

const CANARY: TrafficPlan = { strategy: "canary", steps: [10, 50, 100], pauseMs: 60_000 };
const AB: TrafficPlan = { strategy: "ab", weight: 20 };
const SHADOW: TrafficPlan = { strategy: "shadow", percent: 100 };
const BLUE_GREEN: TrafficPlan = { strategy: "blue-green" };

const failing = judgeAnalysis([{ status: 500, latencyMs: 3 }], { maxErrorRate: 0, maxLatencyP95Ms: 100 });
const passing = judgeAnalysis([{ status: 200, latencyMs: 3 }], { maxErrorRate: 0, maxLatencyP95Ms: 100 });

/** Every event the machine knows, with each colour for the events that name one. */
const EVENTS: Record<string, RolloutEvent> = {
  start: { type: "start" },
  ...colourEvents("slot-started", (colour) => ({ type: "slot-started", colour, url: "http://127.0.0.1:1" })),
  ...colourEvents("slot-ready", (colour) => ({ type: "slot-ready", colour })),
  ...colourEvents("ready-timeout", (colour) => ({ type: "ready-timeout", colour })),
  ...colourEvents("slot-crashed", (colour) => ({ type: "slot-crashed", colour })),
  "analysis-passed": { type: "analysis-passed", stage: "pre-switch", verdict: passing },
  "analysis-failed": { type: "analysis-failed", stage: "pre-switch", verdict: failing },
  ...colourEvents("switched", (colour) => ({ type: "switched", colour })),
  "traffic-set": { type: "traffic-set", weight: 10 },
  "step-passed": { type: "step-passed", verdict: passing },
  "step-failed": { type: "step-failed", verdict: failing },
  "promote:full": { type: "promote", full: true },
  "promote:step": { type: "promote", full: false },
  "post-check-passed": { type: "post-check-passed", verdict: passing },
  "post-check-failed": { type: "post-check-failed", verdict: failing },
  "drain-elapsed": { type: "drain-elapsed" },
  ...colourEvents("slot-stopped", (colour) => ({ type: "slot-stopped", colour })),
  aborted: { type: "aborted", reason: "aborted" },
};

function colourEvents(type: string, make: (c: Colour) => RolloutEvent): Record<string, RolloutEvent> {
  return { [`${type}:blue`]: make("blue"), [`${type}:green`]: make("green") };
}

type Edge = { to: Phase; effects: string[]; reason?: string };

/** Blue is live with 1.0.0; 1.1.0 goes into green. Every (phase, event) not listed must be rejected. */
const COMMON_EDGES: Record<string, Edge> = {
  "idle|start": { to: "starting-preview", effects: ["record-status", "start-slot"] },
  "idle|aborted": { to: "rolled-back", effects: ["record-status"], reason: "aborted" },
  "starting-preview|slot-started:green": { to: "waiting-ready", effects: ["probe-ready"] },
  "starting-preview|ready-timeout:green": {
    to: "rolling-back",
    effects: ["stop-slot"],
    reason: "ready-timeout",
  },
  "starting-preview|slot-crashed:green": {
    to: "rolling-back",
    effects: ["stop-slot"],
    reason: "slot-crashed",
  },
  "starting-preview|aborted": { to: "rolling-back", effects: ["stop-slot"], reason: "aborted" },
  "waiting-ready|slot-ready:green": { to: "analysing", effects: ["run-analysis"] },
  "waiting-ready|ready-timeout:green": {
    to: "rolling-back",
    effects: ["stop-slot"],
    reason: "ready-timeout",
  },
  "waiting-ready|slot-crashed:green": { to: "rolling-back", effects: ["stop-slot"], reason: "slot-crashed" },
  "waiting-ready|aborted": { to: "rolling-back", effects: ["stop-slot"], reason: "aborted" },
  "analysing|analysis-failed": { to: "rolling-back", effects: ["stop-slot"], reason: "smoke-failed" },
  "analysing|slot-crashed:green": { to: "rolling-back", effects: ["stop-slot"], reason: "slot-crashed" },
  "analysing|aborted": { to: "rolling-back", effects: ["stop-slot"], reason: "aborted" },
  "switching|switched:green": { to: "post-switch-check", effects: ["run-analysis"] },
  "switching|slot-crashed:green": {
    to: "switching-back",
    effects: ["switch-traffic"],
    reason: "slot-crashed",
  },
  "switching|aborted": { to: "switching-back", effects: ["switch-traffic"], reason: "aborted" },
  "post-switch-check|post-check-passed": {
    to: "draining",
    effects: ["record-status", "schedule-timer"],
    reason: "promoted",
  },
  "post-switch-check|post-check-failed": {
    to: "switching-back",
    effects: ["switch-traffic"],
    reason: "post-switch-failed",
  },
  "post-switch-check|slot-crashed:green": {
    to: "switching-back",
    effects: ["switch-traffic"],
    reason: "slot-crashed",
  },
  "post-switch-check|aborted": { to: "switching-back", effects: ["switch-traffic"], reason: "aborted" },
  "draining|drain-elapsed": { to: "scaling-down", effects: ["stop-slot"] },
  "draining|aborted": { to: "scaling-down", effects: ["cancel-timer", "stop-slot"] },
  "draining|slot-crashed:green": {
    to: "switching-back",
    effects: ["cancel-timer", "switch-traffic"],
    reason: "slot-crashed",
  },
  "draining|slot-crashed:blue": { to: "scaling-down", effects: ["cancel-timer", "stop-slot"] },
  "scaling-down|slot-stopped:blue": { to: "complete", effects: ["record-status"] },
  "switching-back|switched:blue": { to: "rolling-back", effects: ["stop-slot"] },
  "rolling-back|slot-stopped:green": { to: "rolled-back", effects: ["record-status"] },
  // Both versions take traffic: a promote switches all of it, an abort or a crash switches back.
  ...Object.fromEntries(
    (["shifting", "stepping", "holding"] as const).flatMap((phase) => [
      [`${phase}|promote:full`, { to: "switching", effects: ["switch-traffic"] }],
      [`${phase}|aborted`, { to: "switching-back", effects: ["switch-traffic"], reason: "aborted" }],
      [
        `${phase}|slot-crashed:green`,
        { to: "switching-back", effects: ["switch-traffic"], reason: "slot-crashed" },
      ],
    ]),
  ),
  "shifting|traffic-set": { to: "stepping", effects: ["record-status", "run-analysis"] },
  "stepping|step-failed": { to: "switching-back", effects: ["switch-traffic"], reason: "step-failed" },
};

/** What differs by strategy: where the pre-switch gate leads, and what a passed step or a step-promote does. */
const PLAN_EDGES: Record<TrafficPlan["strategy"], Record<string, Edge>> = {
  "blue-green": {
    "analysing|analysis-passed": { to: "switching", effects: ["switch-traffic"] },
    "stepping|step-passed": { to: "holding", effects: ["record-status"] },
    ...promoteStep({ to: "switching", effects: ["switch-traffic"] }),
  },
  // At step 1 of 10, 50, 100: the next step is 50%.
  canary: {
    "analysing|analysis-passed": { to: "shifting", effects: ["set-traffic"] },
    "stepping|step-passed": { to: "shifting", effects: ["set-traffic"] },
    ...promoteStep({ to: "shifting", effects: ["set-traffic"] }),
  },
  ab: {
    "analysing|analysis-passed": { to: "shifting", effects: ["set-traffic"] },
    "stepping|step-passed": { to: "holding", effects: ["record-status"] },
    ...promoteStep({ to: "switching", effects: ["switch-traffic"] }),
  },
  shadow: {
    "analysing|analysis-passed": { to: "shifting", effects: ["set-traffic"] },
    "stepping|step-passed": { to: "holding", effects: ["record-status"] },
    ...promoteStep({ to: "switching", effects: ["switch-traffic"] }),
  },
};

function promoteStep(edge: Edge): Record<string, Edge> {
  return Object.fromEntries(["shifting", "stepping", "holding"].map((p) => [`${p}|promote:step`, edge]));
}

const PLANS = { "blue-green": BLUE_GREEN, canary: CANARY, ab: AB, shadow: SHADOW } as const;

const ALL = (Object.keys(PLANS) as Array<keyof typeof PLANS>).flatMap((plan) =>
  PHASES.flatMap((phase) => Object.keys(EVENTS).map((label) => [plan, phase, label] as const)),
);

describe("transition: every (strategy, phase, event) edge with blue live", () => {
  it("lists only real phases and events in the edge table", () => {
    for (const key of [...Object.keys(COMMON_EDGES), ...Object.values(PLAN_EDGES).flatMap(Object.keys)]) {
      const [phase, label] = key.split("|") as [Phase, string];
      expect(PHASES).toContain(phase);
      expect(EVENTS).toHaveProperty([label]);
    }
    expect(ALL).toHaveLength(4 * PHASES.length * Object.keys(EVENTS).length);
  });

  it.each(ALL)("%s: %s + %s", (plan, phase, label) => {
    const state = at(phase, { plan: PLANS[plan] });
    const event = EVENTS[label] as RolloutEvent;
    const t = transition(state, event);
    const edge = { ...COMMON_EDGES, ...PLAN_EDGES[plan] }[`${phase}|${label}`];
    if (!edge) {
      expect(t.accepted).toBe(false);
      expect(t.next).toBe(state);
      expect(t.effects).toEqual([]);
      if (!t.accepted) expect(t.rejection).toMatch(/not expected|already ended|passing verdict/);
      return;
    }
    expect(t.accepted).toBe(true);
    expect(t.next.phase).toBe(edge.to);
    expect(t.effects.map((e) => e.type)).toEqual(edge.effects);
    if (edge.reason) expect(t.next.reason).toBe(edge.reason);
    // Outcomes are decided exactly when a rollout promotes or starts to undo itself.
    if (edge.reason === "promoted") expect(t.next.outcome).toBe("succeeded");
    else if (edge.reason) expect(t.next.outcome).toBe("rolled-back");
  });
});

describe("transition: variants", () => {
  const firstDeploy = { active: null };
  it.each<[string, RolloutState, RolloutEvent, Phase, string[], string | null]>([
    [
      "first deploy starts in blue",
      at("idle", firstDeploy),
      EVENTS["start"]!,
      "starting-preview",
      ["record-status", "start-slot"],
      null,
    ],
    [
      "first deploy aborted before start fails",
      at("idle", firstDeploy),
      EVENTS["aborted"]!,
      "failed",
      ["record-status"],
      "aborted",
    ],
    [
      "first deploy with nothing to fall back to fails",
      { ...at("rolling-back", firstDeploy), reason: "ready-timeout" },
      EVENTS["slot-stopped:blue"]!,
      "failed",
      ["record-status"],
      "ready-timeout",
    ],
    [
      "first deploy completes without draining",
      at("post-switch-check", firstDeploy),
      EVENTS["post-check-passed"]!,
      "complete",
      ["record-status"],
      "promoted",
    ],
    [
      "first deploy failing after switch stops the slot",
      at("post-switch-check", firstDeploy),
      EVENTS["post-check-failed"]!,
      "rolling-back",
      ["stop-slot"],
      "post-switch-failed",
    ],
    [
      "first deploy with no drain target rejects drain-elapsed",
      at("draining", firstDeploy),
      EVENTS["drain-elapsed"]!,
      "draining",
      [],
      null,
    ],
    [
      "smokeRequests 0 skips analysis",
      at("waiting-ready", { settings: { smokeRequests: 0 } }),
      EVENTS["slot-ready:green"]!,
      "switching",
      ["switch-traffic"],
      null,
    ],
    [
      "postSwitchSeconds 0 promotes at once",
      at("switching", { settings: { postSwitchMs: 0 } }),
      EVENTS["switched:green"]!,
      "draining",
      ["record-status", "schedule-timer"],
      "promoted",
    ],
    [
      "superseded while draining keeps the promotion",
      { ...at("draining"), outcome: "succeeded", reason: "promoted" },
      { type: "aborted", reason: "superseded" },
      "scaling-down",
      ["cancel-timer", "stop-slot"],
      "promoted",
    ],
    [
      "superseded before switch says so",
      at("analysing"),
      { type: "aborted", reason: "superseded" },
      "rolling-back",
      ["stop-slot"],
      "superseded",
    ],
    [
      "a failed event with a passing verdict is refused",
      at("analysing"),
      { type: "analysis-failed", stage: "pre-switch", verdict: passing },
      "analysing",
      [],
      null,
    ],
  ])("%s", (_name, state, event, to, effects, reason) => {
    const t = transition(state, event);
    expect(t.next.phase).toBe(to);
    expect(t.effects.map((e) => e.type)).toEqual(effects);
    expect(t.next.reason).toBe(reason);
  });

  it.each([
    ["smoke-failed", [{ status: null, latencyMs: 1, error: "ECONNREFUSED" }]],
    [
      "analysis-error-rate",
      [
        { status: 200, latencyMs: 1 },
        { status: 500, latencyMs: 1 },
      ],
    ],
    ["analysis-latency", [{ status: 200, latencyMs: 900 }]],
  ] as const)("a pre-switch verdict failing with %s rolls back with that reason", (reason, samples) => {
    const verdict = judgeAnalysis(samples, { maxErrorRate: 0, maxLatencyP95Ms: 100 });
    const t = transition(at("analysing"), { type: "analysis-failed", stage: "pre-switch", verdict });
    expect(t.next).toMatchObject({ phase: "rolling-back", outcome: "rolled-back", reason });
    expect(t.next.message).toContain("pre-switch analysis failed");
  });

  it("carries the gate thresholds and the timings into its effects", () => {
    const waiting = transition(at("starting-preview"), EVENTS["slot-started:green"]!);
    expect(waiting.effects).toEqual([
      { type: "probe-ready", colour: "green", timeoutMs: 5_000, intervalMs: 100 },
    ]);
    const post = transition(at("switching"), EVENTS["switched:green"]!);
    expect(post.effects).toEqual([
      {
        type: "run-analysis",
        colour: "green",
        stage: "post-switch",
        requests: 10,
        durationMs: 1_000,
        thresholds: { maxErrorRate: 0, maxLatencyP95Ms: 100, minAgreement: 0.8, agreementTolerance: 0.1 },
      },
    ]);
    const drain = transition(at("post-switch-check"), EVENTS["post-check-passed"]!);
    expect(drain.effects).toContainEqual({ type: "schedule-timer", timer: "scale-down", ms: 3_000 });
  });
});

describe("transition: whole rollouts", () => {
  function walk(state: RolloutState, events: RolloutEvent[]) {
    const effects: string[] = [];
    let s = state;
    for (const e of events) {
      const t = transition(s, e);
      expect(t.accepted, `${e.type} in ${s.phase}`).toBe(true);
      effects.push(...t.effects.map((x) => ("colour" in x ? `${x.type}:${x.colour}` : x.type)));
      s = t.next;
    }
    return { state: s, effects };
  }

  it("promotes green, keeps blue for the delay, then stops blue", () => {
    const { state, effects } = walk(at("idle"), [
      EVENTS["start"]!,
      EVENTS["slot-started:green"]!,
      EVENTS["slot-ready:green"]!,
      EVENTS["analysis-passed"]!,
      EVENTS["switched:green"]!,
      EVENTS["post-check-passed"]!,
      EVENTS["drain-elapsed"]!,
      EVENTS["slot-stopped:blue"]!,
    ]);
    expect(state).toMatchObject({ phase: "complete", outcome: "succeeded", reason: "promoted" });
    expect(effects).toEqual([
      "record-status",
      "start-slot:green",
      "probe-ready:green",
      "run-analysis:green",
      "switch-traffic:green",
      "run-analysis:green",
      "record-status",
      "schedule-timer",
      "stop-slot:blue",
      "record-status",
    ]);
  });

  it("switches traffic back to blue before stopping green when the post-switch check fails", () => {
    const { state, effects } = walk(at("switching"), [
      EVENTS["switched:green"]!,
      EVENTS["post-check-failed"]!,
      EVENTS["switched:blue"]!,
      EVENTS["slot-stopped:green"]!,
    ]);
    expect(state).toMatchObject({
      phase: "rolled-back",
      outcome: "rolled-back",
      reason: "post-switch-failed",
    });
    expect(effects).toEqual([
      "run-analysis:green",
      "switch-traffic:blue",
      "stop-slot:green",
      "record-status",
    ]);
  });

  const effectLabel = (x: ReturnType<typeof transition>["effects"][number]) =>
    x.type === "set-traffic"
      ? `set-traffic:${x.mode}:${x.weight}`
      : "colour" in x
        ? `${x.type}:${x.colour}`
        : x.type;
  function walkPlan(plan: TrafficPlan, events: RolloutEvent[], settings: Partial<RolloutSettings> = {}) {
    let s = at("analysing", { plan, settings });
    const seen: string[] = [];
    for (const e of events) {
      const t = transition(s, e);
      expect(t.accepted, `${e.type} in ${s.phase}`).toBe(true);
      seen.push(...t.effects.map(effectLabel));
      s = t.next;
    }
    return { state: s, effects: seen.filter((x) => x !== "record-status") };
  }
  const pass = EVENTS["analysis-passed"]!;
  const set = EVENTS["traffic-set"]!;
  const stepOk = EVENTS["step-passed"]!;

  it("runs a canary through 10% and 50%, then switches all traffic and checks it", () => {
    const { state, effects } = walkPlan(CANARY, [
      pass,
      set,
      stepOk,
      set,
      stepOk,
      EVENTS["switched:green"]!,
      EVENTS["post-check-passed"]!,
    ]);
    expect(state).toMatchObject({ phase: "draining", outcome: "succeeded", weight: 100, step: 1 });
    expect(effects).toEqual([
      "set-traffic:split:10",
      "run-analysis:green",
      "set-traffic:split:50",
      "run-analysis:green",
      "switch-traffic:green",
      "run-analysis:green",
      "schedule-timer",
    ]);
  });

  it("judges each canary step for its pause, with the gate's thresholds", () => {
    const t = transition({ ...at("shifting", { plan: CANARY }) }, set);
    expect(t.effects).toContainEqual({
      type: "run-analysis",
      colour: "green",
      stage: "step",
      requests: 10,
      durationMs: 60_000,
      thresholds: { maxErrorRate: 0, maxLatencyP95Ms: 100, minAgreement: 0.8, agreementTolerance: 0.1 },
    });
    expect(t.effects[0]).toMatchObject({ type: "record-status", status: "in_progress" });
    expect((t.effects[0] as { message: string }).message).toContain("canary step 1/3 (10%)");
  });

  it("switches back to the stable colour when a canary step fails", () => {
    const { state, effects } = walkPlan(CANARY, [
      pass,
      set,
      stepOk,
      set,
      EVENTS["step-failed"]!,
      EVENTS["switched:blue"]!,
      EVENTS["slot-stopped:green"]!,
    ]);
    expect(state).toMatchObject({ phase: "rolled-back", outcome: "rolled-back", reason: "step-failed" });
    expect(state.message).toContain("canary step 2/3 (50%) failed");
    expect(effects).toEqual([
      "set-traffic:split:10",
      "run-analysis:green",
      "set-traffic:split:50",
      "run-analysis:green",
      "switch-traffic:blue",
      "stop-slot:green",
    ]);
  });

  it("with no pause, waits at each canary step for a promote (next step, then all the way)", () => {
    const plan: TrafficPlan = { strategy: "canary", steps: [5, 25, 60], pauseMs: null };
    const { state, effects } = walkPlan(
      plan,
      [pass, set, stepOk, EVENTS["promote:step"]!, set, stepOk, EVENTS["promote:full"]!],
      { postSwitchMs: 500 },
    );
    expect(state).toMatchObject({ phase: "switching", weight: 100 });
    expect(effects).toEqual([
      "set-traffic:split:5",
      "run-analysis:green",
      "set-traffic:split:25",
      "run-analysis:green",
      "switch-traffic:green",
    ]);
  });

  it("after a last canary step below 100% switches all traffic", () => {
    const plan: TrafficPlan = { strategy: "canary", steps: [30], pauseMs: 0 };
    const { state } = walkPlan(plan, [pass, set, stepOk]);
    expect(state).toMatchObject({ phase: "switching", weight: 100 });
  });

  it("skips a step's analysis when it has neither time nor smoke requests", () => {
    const plan: TrafficPlan = { strategy: "canary", steps: [20, 100], pauseMs: 0 };
    const t = transition(at("shifting", { plan, settings: { smokeRequests: 0 } }), set);
    expect(t.next.phase).toBe("switching");
    expect(t.effects.map(effectLabel)).toEqual(["record-status", "switch-traffic:green"]);
  });

  it.each([
    ["A/B", AB, "set-traffic:split:20"],
    ["shadow", SHADOW, "set-traffic:shadow:100"],
  ] as const)("holds a %s split after its first check until promoted", (_name, plan, first) => {
    const held = walkPlan(plan, [pass, set, stepOk]);
    expect(held.state).toMatchObject({ phase: "holding", outcome: null, step: 0 });
    expect(held.effects).toEqual([first, "run-analysis:green"]);
    const promoted = transition(held.state, EVENTS["promote:full"]!);
    expect(promoted.effects.map(effectLabel)).toEqual(["switch-traffic:green"]);
    const aborted = transition(held.state, EVENTS["aborted"]!);
    expect(aborted.next).toMatchObject({
      phase: "switching-back",
      reason: "aborted",
      outcome: "rolled-back",
    });
    expect(aborted.effects.map(effectLabel)).toEqual(["switch-traffic:blue"]);
  });

  it.each([
    ["a first deploy", { kind: "deploy" as const, active: null }],
    ["a rollback", { kind: "rollback" as const, active: { colour: "blue" as const, version: "1.0.0" } }],
  ])("makes %s blue-green whatever the plan", (_name, o) => {
    const s = createRollout({ id: "r", target: TARGET, settings: SETTINGS, plan: CANARY, ...o });
    expect(s.plan).toEqual({ strategy: "blue-green" });
    expect(transition({ ...s, phase: "analysing" }, pass).effects.map(effectLabel)).toEqual([
      `switch-traffic:${s.preview}`,
    ]);
  });
});
