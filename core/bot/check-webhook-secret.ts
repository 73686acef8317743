/** Shortest webhook secret accepted in production (GitHub suggests a random string with high entropy). */
export const MIN_SECRET_LENGTH = 20;

export type SecretCheck =
  { ok: true } | { ok: false; reason: "webhook-secret-missing" | "webhook-secret-weak"; message: string };

/**
 * Production refuses to start without a strong webhook secret: never Probot's `development`
 * fallback, at least {@link MIN_SECRET_LENGTH} characters, not a repeated pattern.
 */
export function checkWebhookSecret(secret: string | undefined): SecretCheck {
  if (secret === undefined || secret === "") {
    return { ok: false, reason: "webhook-secret-missing", message: "WEBHOOK_SECRET is not set" };
  }
  const distinct = new Set(secret).size;
  if (secret === "development" || secret.length < MIN_SECRET_LENGTH || distinct < 8) {
    return {
      ok: false,
      reason: "webhook-secret-weak",
      message: `WEBHOOK_SECRET is too weak (needs at least ${MIN_SECRET_LENGTH} random characters, not 'development')`,
    };
  }
  return { ok: true };
}
