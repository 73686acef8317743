import type { AppliedEvent } from "./apply-event.ts";
import { applyEvent } from "./apply-event.ts";
import type { RolloutRecord } from "./deploy-state.ts";
import { TERMINAL_PHASES, WAITING_PHASES } from "./rollout-types.ts";
import type { RolloutEffect, RolloutEvent, RolloutState } from "./rollout-types.ts";

/** Time as the driver sees it; tests hand in a fake one. */
export type RolloutClock = {
  now(): Date;
  /** Resolves after `ms`, or early once `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
};

/** The effects a target runs; timers are the driver's own. */
export type TargetEffect = Exclude<RolloutEffect, { type: "schedule-timer" | "cancel-timer" }>;

/**
 * What a deploy target does for the driver: run one effect and answer with the event it leads
 * to, or null. `signal` aborts once the rollout has moved on; the answer is then ignored.
 */
export type RolloutEffects = {
  run(effect: TargetEffect, signal: AbortSignal): Promise<RolloutEvent | null>;
};

export type RolloutDriver = {
  /** Hands in an event from outside: a slot that died, a newer rollout, a user's abort. */
  send(event: RolloutEvent): void;
  state(): RolloutState;
  record(): RolloutRecord;
  /** Stops handling events and aborts running effects (the process is going away). */
  halt(): void;
  /** Resolves once the rollout ends, or stalls with nothing left that could move it. */
  finished: Promise<{ state: RolloutState; record: RolloutRecord }>;
};

export type DriveOptions = {
  state: RolloutState;
  record: RolloutRecord;
  effects: RolloutEffects;
  clock: RolloutClock;
  /** Called after every event, accepted or rejected, with the new state and record. */
  onStep?: (step: AppliedEvent) => void;
  /** Aborting it feeds an `aborted` event: roll back before the switch, or cut the delay short after. */
  signal?: AbortSignal;
};

/**
 * Runs a rollout to its end: feeds `start`, runs each accepted transition's effects in order and
 * feeds back the events they answer with. A rejected event is written to the timeline and
 * otherwise ignored; when nothing is left running that could move the rollout on (and it does
 * not wait for a person in a `holding` phase), the driver
 * aborts it (which rolls back), and if even that is rejected, it gives up where it stands.
 */
export function driveRollout(opts: DriveOptions): RolloutDriver {
  let state = opts.state;
  let record = opts.record;
  let phase = new AbortController();
  const queue: RolloutEvent[] = [];
  let pumping = false;
  let running = 0;
  let halted = false;
  let stallAborted = false;
  let resolveFinished: (r: { state: RolloutState; record: RolloutRecord }) => void = () => {};
  const finished = new Promise<{ state: RolloutState; record: RolloutRecord }>((r) => (resolveFinished = r));
  const terminal = () => TERMINAL_PHASES.includes(state.phase);
  const end = () => {
    halted = true;
    opts.signal?.removeEventListener("abort", onAbort);
    resolveFinished({ state, record });
  };

  const send = (event: RolloutEvent) => {
    if (halted) return;
    queue.push(event);
    if (!pumping) pump();
  };
  const onAbort = () => send({ type: "aborted", reason: "aborted", message: "the deploy was cancelled" });

  function pump(): void {
    pumping = true;
    while (queue.length > 0 && !halted) {
      const step = applyEvent(state, record, queue.shift() as RolloutEvent, opts.clock.now());
      state = step.state;
      record = step.record;
      if (step.accepted) {
        phase.abort();
        phase = new AbortController();
        if (step.effects.length > 0) void runEffects(step.effects, phase.signal);
      }
      opts.onStep?.(step);
      if (terminal()) end();
    }
    pumping = false;
    checkStall();
  }

  async function runEffects(effects: RolloutEffect[], signal: AbortSignal): Promise<void> {
    running++;
    const answers: RolloutEvent[] = [];
    try {
      for (const effect of effects) {
        if (signal.aborted) break;
        const answer = await runOne(effect, signal);
        if (answer) answers.push(answer);
      }
    } finally {
      running--;
    }
    if (!signal.aborted) for (const e of answers) send(e);
    checkStall();
  }

  async function runOne(effect: RolloutEffect, signal: AbortSignal): Promise<RolloutEvent | null> {
    if (effect.type === "cancel-timer") return null; // the phase change already aborted it
    if (effect.type === "schedule-timer") {
      await opts.clock.sleep(effect.ms, signal);
      return { type: "drain-elapsed" };
    }
    try {
      return await opts.effects.run(effect, signal);
    } catch (err) {
      return {
        type: "aborted",
        reason: "aborted",
        message: `${effect.type} failed: ${(err as Error).message}`,
      };
    }
  }

  function checkStall(): void {
    if (halted || pumping || running > 0 || queue.length > 0 || terminal()) return;
    // Waiting for a person's promote or abort is not a stall.
    if (WAITING_PHASES.includes(state.phase)) return;
    if (stallAborted) return end();
    stallAborted = true;
    send({ type: "aborted", reason: "aborted", message: `the rollout stalled while ${state.phase}` });
  }

  if (opts.signal?.aborted)
    queue.push({ type: "aborted", reason: "aborted", message: "the deploy was cancelled" });
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  // Started on the next tick, so the caller holds the driver before the first step is reported.
  void Promise.resolve().then(() => send({ type: "start" }));
  return {
    send,
    state: () => state,
    record: () => record,
    halt() {
      phase.abort();
      queue.length = 0;
      end();
    },
    finished,
  };
}
