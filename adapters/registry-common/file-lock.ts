import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { ModelshipError } from "../../core/errors.ts";

/** A lock older than this whose holder cannot be checked (another host) is taken as stale. */
const STALE_MS = 10 * 60_000;
const WAIT_MS = 5 * 60_000;

type Holder = { pid: number; host: string; at: string };

/**
 * Runs `fn` holding an exclusive lock file at `path` (created with O_EXCL, holding pid and host).
 * A lock whose holder process is gone (same host) or that is older than STALE_MS is removed.
 * Waits up to WAIT_MS, then throws cache-lock-timeout.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(path)) break;
    if (await isStale(path)) {
      // Renamed away first so that two processes finding it stale do not both delete a new lock.
      const aside = `${path}.stale-${randomBytes(4).toString("hex")}`;
      await rename(path, aside).then(
        () => rm(aside, { force: true }),
        () => undefined,
      );
      continue;
    }
    if (Date.now() > deadline) {
      throw new ModelshipError({
        code: "cache-lock-timeout",
        message: `${path} is still held after ${WAIT_MS / 1000} s (${await describe(path)})`,
        where: { file: path },
        hint: "Another modelship process is fetching this version; if none runs, delete the lock file.",
      });
    }
    await sleep(20 + Math.random() * 30 * Math.min(attempt + 1, 5));
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const handle = await open(path, "wx");
    const holder: Holder = { pid: process.pid, host: hostname(), at: new Date().toISOString() };
    await handle.writeFile(JSON.stringify(holder));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

async function isStale(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (st === undefined) return false; // released meanwhile: try again
  if (Date.now() - st.mtimeMs > STALE_MS) return true;
  const holder = await readHolder(path);
  // A lock still being written has no holder yet; it is fresh (checked by mtime above).
  if (holder === undefined || holder.host !== hostname()) return false;
  return !isAlive(holder.pid);
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const h = JSON.parse(await readFile(path, "utf8")) as Partial<Holder>;
    return typeof h.pid === "number" && typeof h.host === "string" ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function describe(path: string): Promise<string> {
  const h = await readHolder(path);
  return h ? `held by pid ${h.pid} on ${h.host} since ${h.at}` : "holder unknown";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
