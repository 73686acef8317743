import { HISTORY_LIMIT } from "../../core/rollout/deploy-state.ts";
import type { DeployState, LiveSlot, RolloutRecord } from "../../core/rollout/deploy-state.ts";
import { pickTarget } from "../../core/rollout/apply-event.ts";
import { otherColour } from "../../core/rollout/rollout-types.ts";
import type { Colour, RolloutTarget } from "../../core/rollout/rollout-types.ts";
import { readDeployState, writeDeployState } from "../../adapters/deploy-local/deploy-state-file.ts";
import { writeScrapeTargets } from "../../adapters/deploy-local/scrape-targets-file.ts";

type SlotView = { target: RolloutTarget; url: string; pid: number | null } | null;

/** What the state file says when the router starts, and what to bring back. */
export type LoadedState = {
  state: DeployState;
  /** The last version that was promoted: a rollout cut off before its check passed does not count. */
  restore: RolloutTarget | null;
  /** Slot processes the file lists: a router that died left them behind. */
  orphanPids: number[];
};

/** Reads the state file and works out what was really live when the last router stopped. */
export async function loadDeployState(stateDir: string, env: string, now: Date): Promise<LoadedState> {
  const state = await readDeployState(stateDir, env, now);
  const orphanPids = [state.slots.blue?.pid, state.slots.green?.pid].filter(
    (p): p is number => typeof p === "number",
  );
  let restore = state.active ? pickTarget(state.active) : null;
  const cut = state.current;
  if (cut && cut.outcome !== "succeeded") {
    // Traffic may have moved before the check finished: the old colour is what was promoted.
    const oldColour = otherColour(cut.colour);
    const old = state.slots[oldColour];
    restore = null;
    if (cut.fromVersion && old?.version === cut.fromVersion) restore = pickTarget(old);
    else if (cut.fromVersion && state.active?.version === cut.fromVersion) restore = pickTarget(state.active);
    const ended = {
      ...cut,
      outcome: cut.fromVersion ? ("rolled-back" as const) : ("failed" as const),
      reason: "aborted" as const,
      message: "the router stopped before the rollout finished",
      finishedAt: cut.finishedAt ?? now.toISOString(),
    };
    state.history = [...state.history, ended];
    state.current = null;
    state.active = restore ? { ...restore, colour: oldColour, since: now.toISOString() } : null;
  }
  return { state, restore, orphanPids };
}

/** The router's view of an environment, written to `.modelship/deploy/<env>.json` after each step. */
export class DeployStateStore {
  live: LiveSlot | null = null;
  previous: RolloutTarget | null;
  current: RolloutRecord | null = null;
  closed = false;
  readonly history: RolloutRecord[];
  private lastActive: LiveSlot | null;
  private writing: Promise<void> = Promise.resolve();
  private readonly o: {
    stateDir: string;
    env: string;
    loaded: DeployState;
    router: { url: string; pid: number; startedAt: string };
    slots: (c: Colour) => SlotView;
  };

  constructor(o: DeployStateStore["o"]) {
    this.o = o;
    this.previous = o.loaded.previous;
    this.history = [...o.loaded.history];
    this.lastActive = o.loaded.active;
  }

  snapshot(): DeployState {
    const slot = (c: Colour) => {
      const s = this.o.slots(c);
      return s ? { ...s.target, url: s.url, pid: s.pid } : null;
    };
    return {
      schemaVersion: 1,
      environment: this.o.env,
      updatedAt: new Date().toISOString(),
      router: this.closed ? null : this.o.router,
      active: this.live ?? (this.closed ? this.lastActive : null),
      previous: this.previous,
      slots: { blue: slot("blue"), green: slot("green") },
      current: this.current ? structuredClone(this.current) : null,
      history: this.history.slice(-HISTORY_LIMIT),
    };
  }

  /**
   * Writes the file and the Prometheus targets file (`<env>.targets.json`); writes are ordered,
   * and a failed one is retried by the next.
   */
  persist(): Promise<void> {
    const state = this.snapshot();
    const write = async () => {
      const [written, targets] = await Promise.allSettled([
        writeDeployState(this.o.stateDir, state),
        writeScrapeTargets(this.o.stateDir, state),
      ]);
      if (written.status === "rejected") throw written.reason;
      if (targets.status === "rejected") throw targets.reason;
    };
    this.writing = this.writing.then(write, write);
    return this.writing;
  }

  /** Keeps what was live in the file once the router (and its slots) stop. */
  closeWith(live: LiveSlot | null): void {
    this.closed = true;
    this.lastActive = live ?? this.lastActive;
    this.live = null;
  }
}
