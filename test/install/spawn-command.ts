import { spawn, type ChildProcess } from "node:child_process";
import { delimiter, dirname } from "node:path";

export type Finished = { code: number | null; stdout: string; stderr: string; seconds: number };

/**
 * The environment of a user's shell with Node 24 first on PATH: this process's Node, so `npm`,
 * `npx` and the installed bin's `#!/usr/bin/env node` all run on it.
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...extra };
  // npm exports these to the scripts it runs (vitest under `npm test`); a user's shell has none.
  for (const key of Object.keys(env)) if (/^npm_/i.test(key)) delete env[key];
  env["PATH"] = `${dirname(process.execPath)}${delimiter}${process.env["PATH"] ?? ""}`;
  return env;
}

/** Starts a command as a user would type it. */
export function start(command: string, args: readonly string[], cwd: string, env = userEnv()): ChildProcess {
  return spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs a command to its end, or kills it after `timeoutMs`. */
export function runCommand(
  command: string,
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Finished> {
  const started = performance.now();
  const child = start(command, args, opts.cwd, opts.env);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}
