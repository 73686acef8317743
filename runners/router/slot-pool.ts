import { join } from "node:path";
import type { Colour, RolloutTarget } from "../../core/rollout/rollout-types.ts";
import type { Router } from "./router.ts";
import { spawnSlot } from "./spawn-slot.ts";
import type { SlotProcess } from "./spawn-slot.ts";

const SLOT_STOP_GRACE_MS = 10_000;
const DRAIN_WAIT_MS = 30_000;

export type SlotPoolOptions = {
  router: Router;
  stateDir: string;
  env: string;
  startTimeoutMs: number;
  serverEntry?: string;
  serverArgs?: readonly string[];
  /** A slot exited without being asked to stop. */
  onExit: (colour: Colour, slot: SlotProcess, message: string) => void;
};

/** The two slot processes of an environment, wired into the router as they come and go. */
export class SlotPool {
  private readonly slots: Record<Colour, SlotProcess | null> = { blue: null, green: null };
  private readonly starting: Partial<Record<Colour, Promise<unknown>>> = {};
  private readonly stopping = new Set<SlotProcess>();
  private readonly o: SlotPoolOptions;

  constructor(o: SlotPoolOptions) {
    this.o = o;
  }

  get(colour: Colour): SlotProcess | null {
    return this.slots[colour];
  }

  /** The colour's running slot when it already serves exactly `target`, else null. */
  warm(colour: Colour, target: RolloutTarget): SlotProcess | null {
    const slot = this.slots[colour];
    if (!slot || this.stopping.has(slot)) return null;
    const t = slot.target;
    return t.version === target.version && t.modelDir === target.modelDir && t.name === target.name
      ? slot
      : null;
  }

  /** Starts `target` in `colour` (stopping what ran there) and routes the colour to it. */
  async start(colour: Colour, target: RolloutTarget, signal?: AbortSignal): Promise<SlotProcess> {
    const task = (async () => {
      if (this.slots[colour]) await this.stop(colour);
      return spawnSlot({
        colour,
        target,
        startTimeoutMs: this.o.startTimeoutMs,
        logFile: join(this.o.stateDir, `${this.o.env}.${colour}.log`),
        ...(signal ? { signal } : {}),
        ...(this.o.serverEntry ? { serverEntry: this.o.serverEntry } : {}),
        extraArgs: [
          ...(this.o.serverArgs ?? []),
          "--prediction-log",
          join(this.o.stateDir, this.o.env, "predictions", colour),
        ],
      });
    })();
    this.starting[colour] = task.catch(() => undefined);
    try {
      const slot = await task;
      this.slots[colour] = slot;
      this.o.router.setSlot(colour, {
        url: slot.url,
        version: target.version,
        ...(slot.channel ? { channel: slot.channel } : {}),
      });
      void slot.exited.then(({ code, signal: sig }) => {
        if (this.stopping.has(slot)) return;
        if (this.slots[colour] === slot) this.slots[colour] = null;
        const tail = slot.stderrTail();
        this.o.onExit(
          colour,
          slot,
          `exited unexpectedly (${sig ?? `code ${code}`})${tail ? `: ${tail}` : ""}`,
        );
      });
      return slot;
    } finally {
      delete this.starting[colour];
    }
  }

  /** Lets the colour's in-flight requests finish (unless it is live), then stops its process. */
  async stop(colour: Colour): Promise<void> {
    await this.starting[colour];
    const slot = this.slots[colour];
    if (!slot) return;
    this.stopping.add(slot);
    const router = this.o.router;
    if (router.active()?.colour !== colour) await router.waitIdle(colour, DRAIN_WAIT_MS);
    if (router.active()?.colour === colour) router.switchTo(null);
    router.setSlot(colour, null);
    await slot.stop(SLOT_STOP_GRACE_MS);
    if (this.slots[colour] === slot) this.slots[colour] = null;
  }

  /** Stops both slots at once, including one still starting. */
  async stopAll(): Promise<void> {
    for (const c of ["blue", "green"] as const) {
      const s = this.slots[c];
      if (s) this.stopping.add(s);
    }
    await Promise.all(
      (["blue", "green"] as const).map(async (c) => {
        await this.starting[c];
        const s = this.slots[c];
        if (s) {
          this.stopping.add(s);
          await s.stop(SLOT_STOP_GRACE_MS);
        }
        this.slots[c] = null;
      }),
    );
  }
}
