import type {
  AnalysisThresholds,
  Outcome,
  ReasonCode,
  RolloutEffect,
  RolloutEvent,
  RolloutState,
  Transition,
} from "./rollout-types.ts";
import { TERMINAL_PHASES } from "./rollout-types.ts";

/**
 * Advances a rollout by one event; effects are data for an adapter to run. Every strategy shares
 * the start, the pre-switch gate, the full switch with its post-switch check and the drain; a
 * canary, A/B or shadow rollout passes through `shifting` → `stepping` (→ `holding`) in between.
 */
export function transition(state: RolloutState, event: RolloutEvent): Transition {
  if (TERMINAL_PHASES.includes(state.phase))
    return reject(state, `the rollout already ended (${state.phase})`);
  const s = state;
  const preview = s.preview;
  switch (s.phase) {
    case "idle":
      if (event.type === "start") {
        return accept(s, { phase: "starting-preview" }, [
          status("in_progress", "starting-preview", null, `starting ${s.target.version} in ${preview}`),
          { type: "start-slot", colour: preview, target: s.target },
        ]);
      }
      if (event.type === "aborted") {
        const outcome = failedOutcome(s);
        return accept(s, { phase: outcome, outcome, reason: event.reason, message: abortMessage(event) }, [
          status("failure", outcome, event.reason, abortMessage(event)),
        ]);
      }
      break;
    case "starting-preview":
      if (event.type === "slot-started" && event.colour === preview) {
        return accept(s, { phase: "waiting-ready" }, [
          {
            type: "probe-ready",
            colour: preview,
            timeoutMs: s.settings.readyTimeoutMs,
            intervalMs: s.settings.readyIntervalMs,
          },
        ]);
      }
      if (event.type === "ready-timeout" && event.colour === preview) {
        return rollBack(
          s,
          "ready-timeout",
          event.message ?? `slot ${preview} did not start listening in time`,
        );
      }
      return preSwitchFailure(s, event);
    case "waiting-ready":
      if (event.type === "slot-ready" && event.colour === preview) {
        if (s.settings.smokeRequests === 0) return afterPreSwitch(s);
        return accept(s, { phase: "analysing" }, [
          {
            type: "run-analysis",
            colour: preview,
            stage: "pre-switch",
            requests: s.settings.smokeRequests,
            durationMs: 0,
            thresholds: thresholds(s),
          },
        ]);
      }
      if (event.type === "ready-timeout" && event.colour === preview) {
        const seconds = Math.round(s.settings.readyTimeoutMs / 100) / 10;
        return rollBack(
          s,
          "ready-timeout",
          event.message ?? `slot ${preview} was not ready within ${seconds} s (GET /v2/health/ready)`,
        );
      }
      return preSwitchFailure(s, event);
    case "analysing":
      if (event.type === "analysis-passed") return afterPreSwitch(s);
      if (event.type === "analysis-failed") {
        const v = event.verdict;
        if (v.pass) return reject(s, "analysis-failed carries a passing verdict");
        return rollBack(s, v.reason, `pre-switch analysis failed: ${v.message}`);
      }
      return preSwitchFailure(s, event);
    case "switching":
      if (event.type === "switched" && event.colour === preview) {
        if (s.settings.postSwitchMs === 0) return promote(s);
        return accept(s, { phase: "post-switch-check" }, [
          {
            type: "run-analysis",
            colour: preview,
            stage: "post-switch",
            requests: s.settings.smokeRequests,
            durationMs: s.settings.postSwitchMs,
            thresholds: thresholds(s),
          },
        ]);
      }
      // The swap may or may not have happened: restore the old colour either way.
      if (event.type === "slot-crashed" && event.colour === preview) {
        return switchBack(s, "slot-crashed", crashMessage(s, event.message));
      }
      if (event.type === "aborted") return switchBack(s, event.reason, abortMessage(event));
      break;
    case "shifting":
      if (event.type === "traffic-set") return runStep(s);
      return duringSplit(s, event);
    case "stepping":
      if (event.type === "step-passed") return afterStep(s);
      if (event.type === "step-failed") {
        const v = event.verdict;
        if (v.pass) return reject(s, "step-failed carries a passing verdict");
        return switchBack(s, "step-failed", `${stepLabel(s)} failed: ${v.message}`);
      }
      return duringSplit(s, event);
    case "holding":
      return duringSplit(s, event);
    case "post-switch-check":
      if (event.type === "post-check-passed") return promote(s);
      if (event.type === "post-check-failed") {
        const v = event.verdict;
        const detail = v.pass ? "check failed" : v.message;
        return switchBack(s, "post-switch-failed", `post-switch check failed: ${detail}`);
      }
      if (event.type === "slot-crashed" && event.colour === preview) {
        return switchBack(s, "slot-crashed", crashMessage(s, event.message));
      }
      if (event.type === "aborted") return switchBack(s, event.reason, abortMessage(event));
      break;
    case "draining": {
      const old = s.active?.colour;
      if (old === undefined) break;
      if (event.type === "drain-elapsed") {
        return accept(s, { phase: "scaling-down" }, [{ type: "stop-slot", colour: old }]);
      }
      // A newer rollout needs the idle colour: cut the delay short, the promotion stands.
      if (event.type === "aborted") {
        return accept(s, { phase: "scaling-down" }, [
          { type: "cancel-timer", timer: "scale-down" },
          { type: "stop-slot", colour: old },
        ]);
      }
      // The old colour is still warm, so a crash of the new one can still be undone.
      if (event.type === "slot-crashed" && event.colour === preview) {
        return accept(
          s,
          {
            phase: "switching-back",
            outcome: "rolled-back",
            reason: "slot-crashed",
            message: crashMessage(s, event.message),
          },
          [
            { type: "cancel-timer", timer: "scale-down" },
            { type: "switch-traffic", colour: old },
          ],
        );
      }
      if (event.type === "slot-crashed" && event.colour === old) {
        return accept(s, { phase: "scaling-down" }, [
          { type: "cancel-timer", timer: "scale-down" },
          { type: "stop-slot", colour: old },
        ]);
      }
      break;
    }
    case "scaling-down":
      if (event.type === "slot-stopped" && event.colour === s.active?.colour) {
        return accept(s, { phase: "complete" }, [
          status("success", "complete", "promoted", `${s.active.colour} (${s.active.version}) stopped`),
        ]);
      }
      break;
    case "switching-back":
      if (event.type === "switched" && event.colour === s.active?.colour) {
        return accept(s, { phase: "rolling-back" }, [{ type: "stop-slot", colour: preview }]);
      }
      break;
    case "rolling-back":
      if (event.type === "slot-stopped" && event.colour === preview) {
        const outcome = failedOutcome(s);
        return accept(s, { phase: outcome, outcome }, [
          status("failure", outcome, s.reason, s.message ?? "rolled back"),
        ]);
      }
      break;
  }
  return reject(s, `${describe(event)} is not expected while ${s.phase}`);
}

/** The new version passed its pre-switch gate: all traffic moves, or the strategy's first split. */
function afterPreSwitch(s: RolloutState): Transition {
  const p = s.plan;
  if (p.strategy === "blue-green") return fullSwitch(s);
  if (p.strategy === "canary") return shiftTo(s, 0);
  if (p.strategy === "ab") return shift(s, 0, p.weight, "split");
  return shift(s, 0, p.percent, "shadow");
}

/** Canary step `index`; a weight of 100 is the full switch. */
function shiftTo(s: RolloutState, index: number): Transition {
  const p = s.plan;
  const weight = p.strategy === "canary" ? p.steps[index] : undefined;
  if (weight === undefined || weight >= 100) return fullSwitch(s);
  return shift(s, index, weight, "split");
}

function shift(s: RolloutState, step: number, weight: number, mode: "split" | "shadow"): Transition {
  const stable = s.active?.colour;
  if (stable === undefined) return fullSwitch(s);
  return accept(s, { phase: "shifting", step, weight }, [
    { type: "set-traffic", colour: s.preview, stable, weight, mode },
  ]);
}

/** The split is in place: judge the new version on its share for the step's time (none: next at once). */
function runStep(s: RolloutState): Transition {
  const p = s.plan;
  const durationMs =
    p.strategy === "canary" ? (p.pauseMs ?? s.settings.postSwitchMs) : s.settings.postSwitchMs;
  const note = status("in_progress", "stepping", null, `${stepLabel(s)}: judging ${s.target.version}`);
  if (durationMs === 0 && s.settings.smokeRequests === 0) {
    const next = afterStep({ ...s, phase: "stepping" });
    return next.accepted ? { ...next, effects: [note, ...next.effects] } : next;
  }
  return accept(s, { phase: "stepping" }, [
    note,
    {
      type: "run-analysis",
      colour: s.preview,
      stage: "step",
      requests: s.settings.smokeRequests,
      durationMs,
      thresholds: thresholds(s),
    },
  ]);
}

/** A step passed: the next canary step, a wait for the user, or the full switch. */
function afterStep(s: RolloutState): Transition {
  const p = s.plan;
  if (p.strategy === "canary" && p.pauseMs !== null) return shiftTo(s, s.step + 1);
  return hold(s);
}

function hold(s: RolloutState): Transition {
  return accept(s, { phase: "holding" }, [
    status("in_progress", "holding", null, `${stepLabel(s)}: waiting for promote or abort`),
  ]);
}

/** Events every split phase handles alike: a promote, an abort, the new slot dying. */
function duringSplit(s: RolloutState, event: RolloutEvent): Transition {
  if (event.type === "promote") {
    const p = s.plan;
    if (event.full || p.strategy !== "canary") return fullSwitch(s);
    return shiftTo(s, s.step + 1);
  }
  if (event.type === "slot-crashed" && event.colour === s.preview) {
    return switchBack(s, "slot-crashed", crashMessage(s, event.message));
  }
  if (event.type === "aborted") return switchBack(s, event.reason, abortMessage(event));
  return reject(s, `${describe(event)} is not expected while ${s.phase}`);
}

function fullSwitch(s: RolloutState): Transition {
  return accept(s, { phase: "switching", weight: 100 }, [{ type: "switch-traffic", colour: s.preview }]);
}

/** `canary step 2/3 (50%)`, `A/B split (20%)`, `shadow (100% copied)`. */
function stepLabel(s: RolloutState): string {
  const p = s.plan;
  if (p.strategy === "canary") return `canary step ${s.step + 1}/${p.steps.length} (${s.weight}%)`;
  if (p.strategy === "ab") return `A/B split (${s.weight}%)`;
  if (p.strategy === "shadow") return `shadow (${s.weight}% copied)`;
  return "switch";
}

function preSwitchFailure(s: RolloutState, event: RolloutEvent): Transition {
  if (event.type === "slot-crashed" && event.colour === s.preview) {
    return rollBack(s, "slot-crashed", crashMessage(s, event.message));
  }
  if (event.type === "aborted") return rollBack(s, event.reason, abortMessage(event));
  return reject(s, `${describe(event)} is not expected while ${s.phase}`);
}

/** Before the switch: traffic never left the old colour, so stopping the preview is enough. */
function rollBack(s: RolloutState, reason: ReasonCode, message: string): Transition {
  return accept(s, { phase: "rolling-back", outcome: failedOutcome(s), reason, message }, [
    { type: "stop-slot", colour: s.preview },
  ]);
}

/** After the switch: traffic goes back to the old colour first, then the new one stops. */
function switchBack(s: RolloutState, reason: ReasonCode, message: string): Transition {
  const outcome = failedOutcome(s);
  if (s.active === null) return rollBack(s, reason, message);
  return accept(s, { phase: "switching-back", outcome, reason, message }, [
    { type: "switch-traffic", colour: s.active.colour },
  ]);
}

function promote(s: RolloutState): Transition {
  const message = `${s.target.version} is live on ${s.preview}`;
  const done = { outcome: "succeeded", reason: "promoted", message } as const;
  if (s.active === null) {
    return accept(s, { phase: "complete", ...done }, [status("success", "complete", "promoted", message)]);
  }
  return accept(s, { phase: "draining", ...done }, [
    status("success", "draining", "promoted", message),
    { type: "schedule-timer", timer: "scale-down", ms: s.settings.scaleDownDelayMs },
  ]);
}

/** Without a previous version there is nothing to fall back to: the rollout failed. */
function failedOutcome(s: RolloutState): Extract<Outcome, "rolled-back" | "failed"> {
  return s.active === null ? "failed" : "rolled-back";
}

function thresholds(s: RolloutState): AnalysisThresholds {
  return {
    maxErrorRate: s.settings.maxErrorRate,
    maxLatencyP95Ms: s.settings.maxLatencyP95Ms,
    ...(s.settings.maxLatencyP99Ms === undefined ? {} : { maxLatencyP99Ms: s.settings.maxLatencyP99Ms }),
    minAgreement: s.settings.minAgreement,
    agreementTolerance: s.settings.agreementTolerance,
  };
}

function status(
  st: Extract<RolloutEffect, { type: "record-status" }>["status"],
  phase: RolloutState["phase"],
  reason: ReasonCode | null,
  message: string,
): RolloutEffect {
  return { type: "record-status", status: st, phase, reason, message };
}

function crashMessage(s: RolloutState, detail: string | undefined): string {
  return `slot ${s.preview} (${s.target.version}) exited${detail ? `: ${detail}` : ""}`;
}

function abortMessage(e: { reason: "aborted" | "superseded"; message?: string }): string {
  return (
    e.message ?? (e.reason === "superseded" ? "a newer rollout replaced this one" : "aborted by the user")
  );
}

function describe(e: RolloutEvent): string {
  return "colour" in e ? `${e.type} (${e.colour})` : e.type;
}

function accept(s: RolloutState, patch: Partial<RolloutState>, effects: RolloutEffect[]): Transition {
  return { accepted: true, next: { ...s, ...patch }, effects };
}

function reject(s: RolloutState, why: string): Transition {
  return { accepted: false, next: s, effects: [], rejection: why };
}
