import type { LrSchedule } from "../config/schema.ts";

/** Metric names where larger is better, for schedules and early stopping that watch them. */
export function higherIsBetter(metric: string): boolean {
  return /acc|f1|r2|auc|precision|recall/.test(metric);
}

/**
 * The learning rate of epoch `epoch` (0-based). Step and cosine depend only on the epoch;
 * reduce-on-plateau replays the earlier epochs' monitored values, so a resumed run gets the same
 * rate without storing the schedule's state.
 */
export function learningRateAt(opts: {
  base: number;
  schedule: LrSchedule | undefined;
  epoch: number;
  epochs: number;
  history: readonly Readonly<Record<string, number>>[];
}): number {
  const { base, schedule, epoch } = opts;
  if (!schedule) return base;
  switch (schedule.type) {
    case "step":
      return base * schedule.gamma ** Math.floor(epoch / schedule.stepSize);
    case "cosine": {
      const period = schedule.periodEpochs ?? opts.epochs;
      const t = Math.min(epoch, period) / period;
      return schedule.minLearningRate + ((base - schedule.minLearningRate) * (1 + Math.cos(Math.PI * t))) / 2;
    }
    case "plateau":
      return plateauRate(base, schedule, opts.history.slice(0, epoch));
  }
}

function plateauRate(
  base: number,
  s: Extract<LrSchedule, { type: "plateau" }>,
  history: readonly Readonly<Record<string, number>>[],
): number {
  const max = higherIsBetter(s.monitor);
  let lr = base;
  let best = max ? -Infinity : Infinity;
  let wait = 0;
  let cooldown = 0;
  for (const log of history) {
    const value = log[s.monitor];
    if (value === undefined || Number.isNaN(value)) continue;
    const inCooldown = cooldown > 0;
    if (inCooldown) {
      cooldown--;
      wait = 0;
    }
    if (max ? value > best + s.minDelta : value < best - s.minDelta) {
      best = value;
      wait = 0;
    } else if (!inCooldown) {
      wait++;
      if (wait >= s.patience && lr > s.minLearningRate) {
        lr = Math.max(lr * s.factor, s.minLearningRate);
        cooldown = s.cooldown;
        wait = 0;
      }
    }
  }
  return lr;
}
