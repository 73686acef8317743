import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { ModelshipError } from "../../core/errors.ts";
import { processRunning } from "../process/process-running.ts";

type Holder = { pid: number; host: string; at: string };

export type FileLockOptions = {
  /** How long to wait while a live process holds the lock; 0 gives up at once. Default 5 minutes. */
  waitMs?: number;
  /**
   * A lock whose holder cannot be checked (another host, or not written yet) is taken as stale
   * once its file is this old; Infinity never. Default 10 minutes.
   */
  staleMs?: number;
  /** The error thrown when the lock stays held, given who holds it. */
  held?: (holder: string, path: string) => ModelshipError;
  /** The time written into the lock file. */
  now?: () => Date;
};

const DEFAULTS = { waitMs: 5 * 60_000, staleMs: 10 * 60_000 };

/**
 * Takes an exclusive lock file at `path` (created with O_EXCL, holding pid, host and time) and
 * returns its release. A lock whose holder process is gone (same host) is taken over, as is one
 * that cannot be checked and is older than `staleMs`. While a live process holds it, waits up to
 * `waitMs`, then throws `held`'s error (default cache-lock-timeout).
 */
export async function acquireFileLock(
  path: string,
  options: FileLockOptions = {},
): Promise<() => Promise<void>> {
  const { waitMs, staleMs } = { ...DEFAULTS, ...options };
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(path, options.now ?? (() => new Date()))) return () => rm(path, { force: true });
    if (await isStale(path, staleMs)) {
      // Renamed away first so that two processes finding it stale do not both delete a new lock.
      const aside = `${path}.stale-${randomBytes(4).toString("hex")}`;
      await rename(path, aside).then(
        () => rm(aside, { force: true }),
        () => undefined,
      );
      continue;
    }
    if (Date.now() >= deadline) throw (options.held ?? timedOut)(await describe(path), path);
    await sleep(20 + Math.random() * 30 * Math.min(attempt + 1, 5));
  }
}

/** Runs `fn` holding the lock file at `path` (see acquireFileLock). */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const release = await acquireFileLock(path, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}

function timedOut(holder: string, path: string): ModelshipError {
  return new ModelshipError({
    code: "cache-lock-timeout",
    message: `${path} is still held after ${DEFAULTS.waitMs / 1000} s (${holder})`,
    where: { file: path },
    hint: "Another modelship process is fetching this version; if none runs, delete the lock file.",
  });
}

async function tryCreate(path: string, now: () => Date): Promise<boolean> {
  try {
    const handle = await open(path, "wx");
    const holder: Holder = { pid: process.pid, host: hostname(), at: now().toISOString() };
    await handle.writeFile(JSON.stringify(holder));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (st === undefined) return false; // released meanwhile: try again
  const holder = await readHolder(path);
  // A holder on this host is checked directly, however long it has held the lock.
  if (holder !== undefined && holder.host === hostname()) return !processRunning(holder.pid);
  // Another host's, or one still being written (no holder yet): judged by its age.
  return Date.now() - st.mtimeMs > staleMs;
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const h = JSON.parse(await readFile(path, "utf8")) as Partial<Holder>;
    return typeof h.pid === "number" && typeof h.host === "string" ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

async function describe(path: string): Promise<string> {
  const h = await readHolder(path);
  return h ? `pid ${h.pid} on ${h.host} since ${h.at}` : "holder unknown";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
