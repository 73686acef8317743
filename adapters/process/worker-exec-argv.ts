/**
 * Node flags for a worker thread: none of its own when the process was started with
 * `--input-type` (Node refuses that flag in workers, so a CLI run as
 * `node --input-type=module -e …` would lose every worker); otherwise undefined, so the worker
 * inherits the process's flags the way Node does by default (which also copes with per-process
 * flags such as `--max-old-space-size` that an explicit list may not hold).
 */
export function workerExecArgv(): string[] | undefined {
  return process.execArgv.some((flag) => flag.startsWith("--input-type")) ? [] : undefined;
}
