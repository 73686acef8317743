import { readFile } from "node:fs/promises";

/**
 * Stops slot processes a router that died left behind (their pids are in the state file), so a
 * new router never leaves two copies of a colour running. A pid is only signalled when its
 * command line shows it is a Modelship inference server (pids are reused).
 */
export async function stopOrphanSlots(pids: readonly number[]): Promise<number[]> {
  const stopped: number[] = [];
  for (const pid of pids) {
    if (pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (!/runners\/serve\/main\.(ts|js)/.test(cmdline)) continue;
    try {
      process.kill(pid, "SIGTERM");
      stopped.push(pid);
    } catch {
      // Gone already.
    }
  }
  const deadline = Date.now() + 5_000;
  while (stopped.some(processAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of stopped.filter(processAlive)) process.kill(pid, "SIGKILL");
  return stopped;
}

/** Whether a process with this id exists (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
