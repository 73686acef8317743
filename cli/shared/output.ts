let quiet = false;

/** Set once per invocation from the global `-q/--quiet` flag. */
export function setQuiet(value: boolean): void {
  quiet = value;
}

/** True when `--quiet` asked for errors and the requested output only. */
export function isQuiet(): boolean {
  return quiet;
}

/** A progress or informational line on stderr; `--quiet` drops it (errors and warnings never are). */
export function info(line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

/** A warning on stderr: shown even with `--quiet`, and never changes the exit code. */
export function warn(line: string): void {
  process.stderr.write(`warning: ${line}\n`);
}

/** A line from a lower layer's log: its warnings always show, anything else only without `--quiet`. */
export function notice(line: string): void {
  if (line.startsWith("warning:")) process.stderr.write(`${line}\n`);
  else info(line);
}
