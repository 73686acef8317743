import type { ChildProcess } from "node:child_process";
import { readdir, readFile, readlink, rm } from "node:fs/promises";
import { resolve, sep } from "node:path";

/** A process as /proc shows it; `start` (clock ticks after boot) tells it apart from a later one with its id. */
export type Proc = { pid: number; start: string };

type ProcStat = Proc & { ppid: number; zombie: boolean };

/** Fields of /proc/<pid>/stat, or null when the process is gone (or /proc is missing). */
async function procStat(pid: number): Promise<ProcStat | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // The command name (field 2) may hold spaces: the fields after it start past its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [state, ppid] = fields;
  const start = fields[19];
  if (!state || !ppid || !start) return null;
  return { pid, start, ppid: Number(ppid), zombie: state === "Z" || state === "X" };
}

async function allProcs(): Promise<ProcStat[]> {
  const ids = (await readdir("/proc").catch(() => [] as string[])).filter((e) => /^\d+$/.test(e));
  const stats = await Promise.all(ids.map((id) => procStat(Number(id))));
  return stats.filter((s): s is ProcStat => s !== null);
}

/** Whether this very process still runs (a zombie does not: it writes nothing any more). */
export async function running(p: Proc): Promise<boolean> {
  const s = await procStat(p.pid);
  return s !== null && s.start === p.start && !s.zombie;
}

/** Every process below `pid`: its children, their children, and so on. */
export async function descendantsOf(pid: number): Promise<Proc[]> {
  const procs = await allProcs();
  const found: Proc[] = [];
  const parents = [pid];
  for (let parent = parents.pop(); parent !== undefined; parent = parents.pop()) {
    for (const p of procs.filter((q) => q.ppid === parent && !q.zombie)) {
      found.push({ pid: p.pid, start: p.start });
      parents.push(p.pid);
    }
  }
  return found;
}

/** Processes whose working directory is `dir` or inside it (what a CLI run in `dir` started). */
export async function runningIn(dir: string): Promise<Proc[]> {
  const root = resolve(dir);
  const found: Proc[] = [];
  for (const p of await allProcs()) {
    if (p.pid === process.pid || p.zombie) continue;
    const cwd = await readlink(`/proc/${p.pid}/cwd`).catch(() => "");
    if (cwd === root || cwd.startsWith(root + sep)) found.push({ pid: p.pid, start: p.start });
  }
  return found;
}

/** Waits up to `ms` for the processes to end; returns the ones still running then. */
export async function runningAfter(procs: readonly Proc[], ms: number): Promise<Proc[]> {
  const end = Date.now() + ms;
  for (;;) {
    const alive = (await Promise.all(procs.map(async (p) => ((await running(p)) ? p : null)))).filter(
      (p): p is Proc => p !== null,
    );
    if (alive.length === 0 || Date.now() >= end) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function signal(p: Proc, sig: NodeJS.Signals): void {
  try {
    process.kill(p.pid, sig);
  } catch {
    // Gone already.
  }
}

/**
 * Stops processes (ones a killed parent left behind): SIGTERM, up to `graceMs` to exit, then
 * SIGKILL; resolves once none of them runs.
 */
export async function stopProcs(procs: readonly Proc[], graceMs = 5_000): Promise<void> {
  const alive = await runningAfter(procs, 0);
  for (const p of alive) signal(p, "SIGTERM");
  const stubborn = await runningAfter(alive, graceMs);
  for (const p of stubborn) signal(p, "SIGKILL");
  const left = await runningAfter(stubborn, 10_000);
  if (left.length > 0) throw new Error(`processes ${left.map((p) => p.pid).join(", ")} survived SIGKILL`);
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Stops a spawned CLI process as a service manager would: SIGTERM, up to `graceMs` for it to stop what it
 * started (a router its slots, a study its trials) and exit; past that, SIGKILL to it and to
 * every process below it. Resolves once neither it nor anything it started runs. A process that
 * already ended is left as it is: what it left running is found by the folder (`removeTestDir`).
 */
export async function stopCli(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  const pid = child.pid;
  const tree = await descendantsOf(pid);
  const done = new Promise<void>((r) => child.once("exit", () => r()));
  if (exited(child)) return stopProcs(tree, 2_000);
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    done.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
  ]);
  clearTimeout(timer);
  if (late) {
    tree.push(...(await descendantsOf(pid)));
    child.kill("SIGKILL");
    await done;
  }
  // After a clean exit nothing should be left; whatever is gets SIGTERM, 2 s, then SIGKILL.
  await stopProcs(tree, late ? 0 : 2_000);
}

/**
 * Removes a test's temporary folder after stopping every process still running in it (slots
 * of a router that was SIGKILLed, trials of a killed study: they keep writing logs into it),
 * retrying while a late write refills a folder being removed.
 */
export async function removeTestDir(dir: string): Promise<void> {
  if (!dir) return;
  await stopProcs(await runningIn(dir));
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}
