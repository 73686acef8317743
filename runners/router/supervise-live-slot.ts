import type { Colour } from "../../core/rollout/rollout-types.ts";
import type { LiveHealth } from "../../adapters/deploy-local/deployment-control.ts";
import type { SlotPool } from "./slot-pool.ts";
import type { DeployStateStore } from "./state-store.ts";

/** Waits between restarts of a live slot that keeps dying; after the last, it is reported down. */
const RESTART_DELAYS_MS = [0, 500, 1_000, 2_000, 4_000];

/**
 * Brings the live slot back when it dies outside a rollout's reach: restarts the same version
 * in the same colour (the router keeps routing there), and keeps `health` true at every step.
 */
export class LiveSlotSupervisor {
  health: LiveHealth | null = null;
  private restarts = 0;
  private generation = 0;
  private readonly o: {
    pool: SlotPool;
    store: DeployStateStore;
    onChange: () => void;
    log?: (l: string) => void;
  };

  constructor(o: LiveSlotSupervisor["o"]) {
    this.o = o;
  }

  /** Marks the live slot as serving (after a rollout or a restart). */
  serving(): void {
    this.health = this.o.store.live
      ? {
          state: "serving",
          restarts: this.restarts,
          lastExit: this.health?.lastExit ?? null,
          since: new Date().toISOString(),
        }
      : null;
  }

  /** The live colour died: restart it, retrying with back-off, until it serves or the retries run out. */
  async restart(colour: Colour, message: string): Promise<void> {
    const live = this.o.store.live;
    if (!live || live.colour !== colour) return;
    const generation = ++this.generation;
    const target = { version: live.version, modelDir: live.modelDir, name: live.name };
    this.health = {
      state: "restarting",
      restarts: this.restarts,
      lastExit: message,
      since: new Date().toISOString(),
    };
    this.o.onChange();
    for (const delay of RESTART_DELAYS_MS) {
      await new Promise((r) => setTimeout(r, delay));
      if (generation !== this.generation || this.o.store.live?.colour !== colour) return;
      try {
        await this.o.pool.start(colour, target);
        if (generation !== this.generation) return;
        this.restarts++;
        this.o.log?.(`slot ${colour} (${target.version}) ${message}; restarted`);
        this.serving();
        this.o.onChange();
        return;
      } catch (err) {
        this.health = { ...this.health, lastExit: `restart failed: ${(err as Error).message}` };
        this.o.onChange();
      }
    }
    this.health = { ...this.health, state: "down" };
    this.o.onChange();
  }

  /** A rollout or shutdown takes over: pending restarts stop. */
  cancel(): void {
    this.generation++;
  }
}
