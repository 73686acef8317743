import { z } from "zod";

export const DEPLOY_LOCK_FORMAT = "modelship.lock/1";

/** Deploy locks are branches under this prefix, one per environment (`refs/heads/modelship-lock/production`). */
export const LOCK_REF_PREFIX = "refs/heads/modelship-lock/";

/** Who holds an environment's deploy lock, stored as the lock commit's message and its `lock.json`. */
export const DeployLockSchema = z
  .object({
    format: z.literal(DEPLOY_LOCK_FORMAT),
    environment: z.string().min(1),
    actor: z.string().min(1),
    reason: z.string(),
    createdAt: z.string().min(1),
    sha: z.string(),
  })
  .strict();
export type DeployLock = z.infer<typeof DeployLockSchema>;

/** Subject line for `git log`, a blank line, then the JSON. */
export function renderLockMessage(lock: DeployLock): string {
  return `modelship: lock ${lock.environment} (${lock.actor})\n\n${JSON.stringify(lock, null, 2)}\n`;
}

/** Parses a lock commit message; undefined when it is not one. */
export function parseLockMessage(message: string): DeployLock | undefined {
  const at = message.indexOf("\n\n");
  if (at < 0) return undefined;
  try {
    const parsed = DeployLockSchema.safeParse(JSON.parse(message.slice(at + 2)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A ref-safe, collision-free component for a name (environment, model, alias): kept as is when it
 * is made of `[A-Za-z0-9._-]` and safe in a ref, otherwise cleaned and suffixed with a hash of
 * the original so two names never share a ref.
 */
export function refComponent(name: string): string {
  const plain =
    /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(name) &&
    !name.endsWith(".") &&
    !name.endsWith(".lock") &&
    !name.includes("..");
  if (plain) return name;
  const cleaned =
    name
      .replace(/[^A-Za-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "x";
  return `${cleaned}-${fnv1a(name)}`;
}

/** The deploy lock ref of an environment. */
export function lockRefFor(environment: string): string {
  return `${LOCK_REF_PREFIX}${refComponent(environment)}`;
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
