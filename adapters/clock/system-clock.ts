import type { RolloutClock } from "../../core/rollout/drive-rollout.ts";

/** The real clock for rollouts: wall time and timers that an abort signal cuts short. */
export const systemClock: RolloutClock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted || ms <= 0) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    }),
};
