/**
 * Whether a process with this id runs on this host: signal 0 checks without signalling, and a
 * process of another user answers EPERM, so it runs too.
 */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
