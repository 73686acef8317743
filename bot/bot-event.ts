import type { CommandRateLimiter } from "./command-rate-limit.ts";
import type { BotGitHub } from "./github-port.ts";

/** Logging the handlers use (Probot's pino logger fits). */
export type BotLog = {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
};

/** What every handler receives besides its payload: the delivery, GitHub, a clock and scratch space. */
export type BotEnv = {
  deliveryId: string;
  log: BotLog;
  gh: BotGitHub;
  now: () => Date;
  /** A fresh empty directory for downloads; removed after the delivery is handled. */
  scratchDir: () => Promise<string>;
  /** Per-user and per-repository limits on slash commands. */
  rateLimit: CommandRateLimiter;
  /** Commands whose comment is older than this are refused as stale (replays). */
  maxCommandAgeMs: number;
};
