import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProbotOctokit, run } from "probot";
import { checkWebhookSecret } from "../core/bot/check-webhook-secret.ts";
import { ModelshipError } from "../core/errors.ts";
import { createModelshipApp, type ModelshipAppOptions } from "./app.ts";
import { createFileDeliveryDedup } from "./file-delivery-dedup.ts";
import { createRedisCommandRateLimiter } from "./redis-command-rate-limit.ts";
import { createRedisDeliveryDedup } from "./redis-delivery-dedup.ts";

export type BotServer = Awaited<ReturnType<typeof run>>;

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Starts the App with Probot's standard environment (APP_ID, PRIVATE_KEY / PRIVATE_KEY_PATH,
 * WEBHOOK_SECRET, GHE_HOST, GHE_PROTOCOL, LOG_LEVEL, PORT, HOST). Without credentials outside
 * production, Probot serves its setup flow from `app.yml`. In production a strong webhook secret
 * is required. Retry and throttling are on except under NODE_ENV=test. MODELSHIP_ACTION names the
 * Action (`OWNER/REPO@REF`) that onboarding pull requests put in the workflows.
 * MODELSHIP_DELIVERY_DIR keeps delivery ids on a volume so replays are refused after a restart
 * (retention MODELSHIP_DELIVERY_RETENTION_HOURS, default 72: GitHub's redelivery window).
 * REDIS_URL (which Probot's throttling also reads) keeps delivery ids and command rate limits in
 * Redis instead, shared by every replica; it takes precedence over MODELSHIP_DELIVERY_DIR.
 */
export async function startBot(env: NodeJS.ProcessEnv = process.env): Promise<BotServer> {
  // Probot reads `.env` from the working directory; read it first so the checks below see it.
  if (env === process.env && existsSync(".env")) process.loadEnvFile(".env");
  const production = env.NODE_ENV === "production";
  if (production) {
    const secret = checkWebhookSecret(env.WEBHOOK_SECRET);
    if (!secret.ok) {
      throw new ModelshipError({
        code: secret.reason,
        message: `refusing to start in production: ${secret.message}`,
        where: { file: "WEBHOOK_SECRET" },
        hint: "Set WEBHOOK_SECRET to the secret in the App's settings, e.g. from `openssl rand -hex 32`.",
      });
    }
  }
  const hasCredentials = Boolean(env.APP_ID) && Boolean(env.PRIVATE_KEY || env.PRIVATE_KEY_PATH);
  // Probot's setup flow reads app.yml from the working directory.
  if (!hasCredentials && !production && !existsSync("app.yml")) process.chdir(PACKAGE_ROOT);
  const Octokit = env.NODE_ENV === "test" ? unthrottledOctokit() : ProbotOctokit;
  const options: ModelshipAppOptions = {};
  if (env.MODELSHIP_ACTION) options.onboardingAction = env.MODELSHIP_ACTION;
  const hours = Number(env.MODELSHIP_DELIVERY_RETENTION_HOURS ?? "72");
  const retentionMs = (Number.isFinite(hours) && hours > 0 ? hours : 72) * 3_600_000;
  if (env.REDIS_URL) {
    // The same server Probot's throttling uses: one count and one delivery memory for all replicas.
    const { Redis } = await import("ioredis");
    const redis = new Redis(env.REDIS_URL);
    options.dedup = createRedisDeliveryDedup({ redis, retentionMs });
    options.rateLimit = createRedisCommandRateLimiter({ redis });
  } else if (env.MODELSHIP_DELIVERY_DIR) {
    options.dedup = createFileDeliveryDedup({
      dir: env.MODELSHIP_DELIVERY_DIR,
      retentionMs,
      now: () => new Date(),
    });
  }
  return run(createModelshipApp(options), { env, Octokit });
}

/**
 * ProbotOctokit without retries and throttling (tests and benchmarks: the throttle spaces writes
 * one second apart). A function default, because Probot passes its own `throttle` object to every
 * instance and a plain `.defaults({ throttle })` object would be replaced by it.
 */
export function unthrottledOctokit(): typeof ProbotOctokit {
  return ProbotOctokit.defaults((options: Record<string, unknown>) => ({
    ...options,
    retry: { enabled: false },
    throttle: { ...(options.throttle as object | undefined), enabled: false },
  }));
}
