/**
 * Node flags for a worker thread: the process's own, less `--input-type`, which Node refuses in
 * workers (a CLI started with `node --input-type=module -e …` would otherwise lose every worker).
 */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((flag) => !flag.startsWith("--input-type"));
}
