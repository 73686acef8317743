import type { RolloutRecord, TimelineEntry } from "./deploy-state.ts";
import { TERMINAL_PHASES } from "./rollout-types.ts";
import type { RolloutEffect, RolloutEvent, RolloutState, RolloutTarget } from "./rollout-types.ts";
import { transition } from "./transition.ts";

/** The result of one event: the new state and record, the timeline entry, and effects to run. */
export type AppliedEvent = {
  accepted: boolean;
  state: RolloutState;
  record: RolloutRecord;
  entry: TimelineEntry;
  effects: RolloutEffect[];
};

/** The record of a rollout that has not handled any event yet. */
export function createRolloutRecord(state: RolloutState, now: Date): RolloutRecord {
  return {
    id: state.id,
    kind: state.kind,
    version: state.target.version,
    fromVersion: state.active?.version ?? null,
    colour: state.preview,
    strategy: state.plan.strategy,
    step: state.step,
    weight: state.weight,
    phase: state.phase,
    outcome: null,
    reason: null,
    message: null,
    startedAt: now.toISOString(),
    finishedAt: null,
    analysis: {},
    timeline: [],
  };
}

/**
 * Feeds one event to the machine and writes it down: every event, accepted or rejected, gets a
 * timeline entry; a rejected one changes nothing else. Analysis verdicts land in the record.
 */
export function applyEvent(
  state: RolloutState,
  record: RolloutRecord,
  event: RolloutEvent,
  now: Date,
): AppliedEvent {
  const t = transition(state, event);
  const entry: TimelineEntry = {
    at: now.toISOString(),
    event: describeEvent(event),
    from: state.phase,
    to: t.next.phase,
    accepted: t.accepted,
  };
  if (!t.accepted) entry.note = t.rejection;
  else if (t.next.message && t.next.message !== state.message) entry.note = t.next.message;
  const next: RolloutRecord = { ...record, timeline: [...record.timeline, entry] };
  if (!t.accepted) return { accepted: false, state, record: next, entry, effects: [] };
  next.phase = t.next.phase;
  next.outcome = t.next.outcome;
  next.reason = t.next.reason;
  next.message = t.next.message;
  next.step = t.next.step;
  next.weight = t.next.weight;
  if (event.type === "step-passed" || event.type === "step-failed") {
    next.analysis = { ...next.analysis, steps: [...(next.analysis.steps ?? []), event.verdict] };
  }
  if (event.type === "analysis-passed" || event.type === "analysis-failed") {
    next.analysis = { ...next.analysis, preSwitch: event.verdict };
  }
  if (event.type === "post-check-passed" || event.type === "post-check-failed") {
    next.analysis = { ...next.analysis, postSwitch: event.verdict };
  }
  if (TERMINAL_PHASES.includes(t.next.phase)) next.finishedAt = now.toISOString();
  return { accepted: true, state: t.next, record: next, entry, effects: t.effects };
}

/** A rollout id that sorts by start time: `20260101T120000-a1b2c3`. */
export function rolloutId(now: Date, suffix: string): string {
  return `${now.toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${suffix}`;
}

/** The version a slot serves, without any extra fields a caller's object carries. */
export function pickTarget(t: RolloutTarget): RolloutTarget {
  return { version: t.version, modelDir: t.modelDir, name: t.name };
}

function describeEvent(e: RolloutEvent): string {
  if ("colour" in e) return `${e.type} ${e.colour}`;
  if (e.type === "aborted") return `aborted (${e.reason})`;
  if (e.type === "traffic-set") return `traffic-set ${e.weight}%`;
  if (e.type === "promote") return e.full ? "promote" : "promote (next step)";
  return e.type;
}
