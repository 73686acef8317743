import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { processRunning } from "../../adapters/process/process-running.ts";

const PREFIX = "modelship-encoded-";
const NAME = /^modelship-encoded-([0-9a-f]{8})-(\d+)-/;

/** This host in folder names: a process id only names a process on the host that gave it out. */
export function hostTag(): string {
  return createHash("sha256").update(hostname()).digest("hex").slice(0, 8);
}

/** The host and process that made an encoded-split folder, from its name; null for other names. */
export function encodedDirOwner(name: string): { host: string; pid: number } | null {
  const m = NAME.exec(name);
  return m?.[1] && m[2] ? { host: m[1], pid: Number(m[2]) } : null;
}

/**
 * Removes the encoded-split folders in `root` that a run on this host left when it was killed
 * before its own cleanup: those whose owner process no longer runs. A folder of a running
 * process, of another host, or named otherwise is left alone. Best effort: a folder that cannot
 * be read or removed stays. Returns the folders removed.
 */
export async function removeStaleEncodedDirs(root: string): Promise<string[]> {
  const host = hostTag();
  const names = await readdir(root).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const owner = encodedDirOwner(name);
    return owner !== null && owner.host === host && !processRunning(owner.pid);
  });
  const removed: string[] = [];
  for (const name of stale) {
    const dir = join(root, name);
    const ok = await rm(dir, { recursive: true, force: true }).then(
      () => true,
      () => false,
    );
    if (ok) removed.push(dir);
  }
  return removed;
}

/**
 * Makes the folder for one run's encoded split in the OS temp directory, named after this host
 * and process (`modelship-encoded-<host>-<pid>-XXXXXX`), after removing the ones killed runs left.
 */
export async function makeEncodedSplitDir(root = tmpdir()): Promise<string> {
  await removeStaleEncodedDirs(root);
  return mkdtemp(join(root, `${PREFIX}${hostTag()}-${process.pid}-`));
}
